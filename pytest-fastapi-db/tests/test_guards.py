"""The guards, on the tiny app: network, leaked overrides, forgotten `await`, asyncio only."""

from __future__ import annotations

import pytest
from support import INI, tiny_project

NETWORK = """
    import asyncio
    import socket

    import httpx
    import pytest

    from pytest_fastapi_db.network import NetworkBlockedError


    def test_outbound_connections_are_blocked_with_a_clear_message():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            with pytest.raises(NetworkBlockedError, match=r"10\\.1\\.2\\.3:80.*allow_network"):
                sock.connect(("10.1.2.3", 80))
            with pytest.raises(NetworkBlockedError):
                sock.connect_ex(("10.1.2.3", 80))


    def test_the_error_is_a_connection_error_that_oserror_handlers_catch():
        with pytest.raises(OSError):
            socket.getaddrinfo("example.com", 443)
        assert issubclass(NetworkBlockedError, ConnectionError)


    async def test_an_http_client_cannot_leave_the_machine():
        async with httpx.AsyncClient() as outside:
            with pytest.raises(httpx.ConnectError, match=r"example\\.org"):
                await outside.get("http://example.org/")


    async def test_loopback_still_works():
        async def echo(reader, writer):
            writer.write(await reader.read(5))
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("localhost", port)
            writer.write(b"hello")
            assert await reader.read(5) == b"hello"
            writer.close()
            await writer.wait_closed()
        assert socket.getaddrinfo(None, 80)


    @pytest.mark.allow_network
    def test_a_marked_test_may_look_names_up():
        try:
            socket.getaddrinfo("name.invalid", 80)
        except NetworkBlockedError:
            raise AssertionError("blocked") from None
        except OSError:
            pass  # not found, as .invalid never is: but it was asked
"""


def test_the_network_guard(pytester: pytest.Pytester):
    tiny_project(pytester, test_network=NETWORK)
    pytester.runpytest().assert_outcomes(passed=5)


def test_the_network_guard_can_be_turned_off(pytester: pytest.Pytester):
    tiny_project(
        pytester,
        INI + "fastapi_db_block_network = false\n",
        test_off="""
            import socket

            from pytest_fastapi_db.network import NetworkBlockedError


            def test_a_look_up_is_not_blocked():
                try:
                    socket.getaddrinfo("name.invalid", 80)
                except NetworkBlockedError:
                    raise AssertionError("blocked") from None
                except OSError:
                    pass
        """,
    )
    pytester.runpytest().assert_outcomes(passed=1)


QUESTIONS = """
    import asyncio

    import pytest

    RUNS = []


    async def test_plain():
        RUNS.append("plain")


    @pytest.mark.anyio
    async def test_anyio_marked():
        RUNS.append("anyio")


    def test_count():
        assert sorted(RUNS) == ["anyio", "plain"]  # each once: asyncio only


    def marker():
        return "leaked"


    def test_first_leaves_an_override(app):
        app.dependency_overrides[marker] = lambda: "from the first test"


    def test_second_sees_only_its_session(app, fastapi_app):
        assert list(app.dependency_overrides) == [__import__("tinyapp").get_session]


    def test_a_leak_past_the_app_fixture_fails_the_next(fastapi_app):
        fastapi_app.dependency_overrides[marker] = lambda: "leaked past teardown"


    def test_finds_the_leak(app):
        pass


    def test_override_puts_a_value_in(app, override):
        override(marker, "value")
        assert marker in app.dependency_overrides


    async def test_forgets_an_await(client):
        client.get("/items")


    async def test_forgets_then_fails(client):
        client.get("/items")
        raise ValueError("and then")


    def test_other_unraisables_go_to_pytest():
        class Broken:
            def __del__(self):
                raise RuntimeError("in __del__")

        Broken()
"""


def test_the_fixture_guards(pytester: pytest.Pytester):
    tiny_project(pytester, test_questions=QUESTIONS)
    result = pytester.runpytest()
    result.assert_outcomes(passed=7, failed=3, errors=1)
    output = result.stdout.str()
    line = QUESTIONS.splitlines().index(
        '        client.get("/items")'
    )  # pytester drops the first, blank, line
    assert "dependency overrides leaked from an earlier test: [<function marker" in output
    assert f"test_questions.py:{line}: `AsyncClient.get(...)` was never awaited" in output
    assert "and then it failed: ValueError('and then')" in output
    assert "RuntimeError: in __del__" in output  # an unraisable of another kind, as pytest tells it
