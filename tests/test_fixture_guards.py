"""The fixture package's guards: network, fakes, overrides, and the real engine left unloaded."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import httpx
import pytest

from backend.db import get_async_session
from backend.dependencies import get_transcription_service, get_translation_service
from tests.fixtures.network import NetworkBlockedError
from tests.fixtures.services import real_engine_ran


def test_outbound_connections_are_blocked_with_a_clear_message():
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(NetworkBlockedError, match=r"10\.1\.2\.3:80.*allow_network"),
    ):
        sock.connect(("10.1.2.3", 80))


def test_dns_lookups_are_blocked():
    with pytest.raises(NetworkBlockedError, match=r"example\.com"):
        socket.getaddrinfo("example.com", 443)


async def test_an_http_client_cannot_leave_the_machine():
    async with httpx.AsyncClient() as outside:
        with pytest.raises(NetworkBlockedError, match=r"translation\.example"):
            await outside.get("http://translation.example/translate")


async def test_loopback_and_the_event_loop_still_work():
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.read(5))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello")
        assert await reader.read(5) == b"hello"
        writer.close()
        await writer.wait_closed()


async def test_app_holds_exactly_this_tests_overrides(app, transcription, translation):
    """Nothing an earlier test set survives: only the three overrides of this test are in."""
    assert set(app.dependency_overrides) == {
        get_async_session,
        get_transcription_service,
        get_translation_service,
    }
    assert await app.dependency_overrides[get_transcription_service]() is transcription
    assert await app.dependency_overrides[get_translation_service]() is translation


def test_faster_whisper_is_not_imported_by_the_suite(pytestconfig):
    """Only a `real_services` test loads the engine: until one has run in this process (none
    does where the engine is not installed, as in `fast`), it is not loaded."""
    if pytestconfig.stash.get(real_engine_ran, False):
        pytest.skip("a real_services test ran earlier in this process: it may have loaded it")
    assert "faster_whisper" not in sys.modules


@pytest.mark.slow
def test_building_the_app_imports_no_heavy_engine():
    """create_app() and a real transcription service object leave faster-whisper unloaded."""
    code = (
        "import sys; from backend.main import create_app; app = create_app(); "
        "assert isinstance(app.state.transcription_service, object); "
        "print('faster_whisper' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="."
    )
    assert result.stdout.strip() == "False"


async def test_a_created_user_unpacks_and_logs_in_as_documented(user_factory, client_factory):
    """README's fixture table: `user, password = await user_factory()` and
    `client_factory(created)` both work, and the client is that user."""
    created = await user_factory(email="documented@example.com")
    user, password = created
    assert (user, password, created.email) == (created.user, created.password, user.email)

    for way in (created, user):
        me = await client_factory(way)
        response = await me.get("/users/me")
        assert response.status_code == 200
        assert response.json()["email"] == "documented@example.com"


async def test_client_factory_names_what_it_takes(client_factory):
    with pytest.raises(TypeError, match=r"takes a User, what user_factory\(\) returned"):
        await client_factory("documented@example.com")
