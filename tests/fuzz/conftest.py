"""Fuzzing runs on the suite's own fixture package: fast hasher, fakes, per-test rollback.

pytest.ini's `norecursedirs` keeps it out of the everyday runs (and `nox -s stress`); only
`nox -s fuzz`, which names `tests/fuzz` and installs schemathesis, collects it.

Every request schemathesis makes (a check's own follow-up requests too) goes through its
`requests` transport, as with `st run` against a server, so the bytes on the wire are the CLI's;
a `requests` adapter then hands each request to the ASGI app on the worker's event loop, which
owns the test's rolled-back connection.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import pytest_asyncio
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy.ext.asyncio import AsyncConnection
from urllib3 import HTTPHeaderDict, HTTPResponse

from tests.fixtures.services import SAMPLE_TRANSCRIPT
from tests.fuzz import hooks  # noqa: F401  (registers the schemathesis hooks on import)

if TYPE_CHECKING:
    from tests.fixtures.clients import UserClient
    from tests.fixtures.games import GameFactory
    from tests.fixtures.videos import VideoFactory

BASE_URL = "http://test"
# "anonymous"/"authenticated" -> cases sent (each operation's examples, then stateful steps),
# stateful steps among them, requests that reached the app, and the operations covered.
CASES: Counter[str] = Counter()
STEPS: Counter[str] = Counter()
REQUESTS: Counter[str] = Counter()
OPERATIONS: dict[str, set[str]] = {"anonymous": set(), "authenticated": set()}


class AsgiAdapter(HTTPAdapter):
    """A `requests` adapter that answers from the ASGI app instead of a socket."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient, who: str):
        super().__init__()
        self.loop, self.client, self.who = loop, client, who

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        REQUESTS[self.who] += 1
        body = request.body.encode() if isinstance(request.body, str) else request.body
        assert body is None or isinstance(body, bytes)  # requests builds JSON and forms in memory
        headers = {name: str(value) for name, value in request.headers.items()}
        sent = self.client.request(
            str(request.method), str(request.url), headers=headers, content=body
        )
        answer = self.loop.run_until_complete(sent)
        raw = HTTPResponse(
            body=BytesIO(answer.content),
            headers=HTTPHeaderDict(answer.headers.multi_items()),
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            preload_content=False,
            decode_content=False,
        )
        return self.build_response(request, raw)


@dataclass
class Fuzzer:
    """A `requests` session onto the app, and the headers every case carries (the token)."""

    who: str
    session: requests.Session
    loop: asyncio.AbstractEventLoop
    connection: AsyncConnection
    headers: dict[str, str] = field(default_factory=dict)

    def call_kwargs(self, operation: str, *, stateful: bool = False) -> dict[str, Any]:
        """What `Case.call` takes to send one case as this fuzzer, counted."""
        CASES[self.who] += 1
        STEPS[self.who] += stateful
        OPERATIONS[self.who].add(operation)
        return {"base_url": BASE_URL, "session": self.session, "headers": dict(self.headers)}

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """What the app writes meanwhile is rolled back (a SAVEPOINT in the test's transaction):
        every example, and every stateful scenario, starts from the same rows, so hypothesis
        sees the same answers when it replays one."""
        nested = self.loop.run_until_complete(self.connection.begin_nested())
        try:
            yield
        finally:
            if nested.is_active:
                self.loop.run_until_complete(nested.rollback())


def fuzzer(
    loop: asyncio.AbstractEventLoop,
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    who: str,
    headers: dict[str, str],
) -> Iterator[Fuzzer]:
    with requests.Session() as session:
        session.mount(BASE_URL, AsgiAdapter(loop, client, who))
        yield Fuzzer(who, session, loop, connection, headers)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def worker_loop() -> asyncio.AbstractEventLoop:
    """The worker's event loop: it owns the test's database connection, so requests run on it."""
    return asyncio.get_running_loop()


@pytest_asyncio.fixture
async def owner_with_data(
    auth_client: UserClient, video_factory: VideoFactory, game_factory: GameFactory
) -> UserClient:
    """A user owning a transcribed video and a game on it: small ids reach real rows."""
    video = await video_factory(
        auth_client, b"\x00" * 1024, title="Fuzz target", transcript=SAMPLE_TRANSCRIPT.text
    )
    await game_factory(auth_client, video["id"], questions=3)
    return auth_client


@pytest.fixture
def anonymous_fuzzer(
    worker_loop: asyncio.AbstractEventLoop,
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
) -> Iterator[Fuzzer]:
    """Sends cases without a token."""
    yield from fuzzer(worker_loop, client, db_connection, "anonymous", {})


@pytest.fixture
def owner_fuzzer(
    worker_loop: asyncio.AbstractEventLoop,
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    owner_with_data: UserClient,
) -> Iterator[Fuzzer]:
    """Sends cases with the bearer token of a user who owns a video and a game. The token is a
    header of each case (not of the client), so `ignored_auth` can send a case without it."""
    token = {"Authorization": owner_with_data.headers["Authorization"]}
    yield from fuzzer(worker_loop, client, db_connection, "authenticated", token)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CASES:
        return
    operations = OPERATIONS["anonymous"] | OPERATIONS["authenticated"]
    terminalreporter.write_sep("=", "schemathesis")
    terminalreporter.write_line(
        f"{CASES.total()} cases on {len(operations)} operations, "
        f"{STEPS.total()} of them stateful steps; {REQUESTS.total()} requests reached the app"
    )
    for who in ("anonymous", "authenticated"):
        terminalreporter.write_line(
            f"  {who}: {CASES[who]} cases ({STEPS[who]} stateful steps) on "
            f"{len(OPERATIONS[who])} operations"
        )
