"""Fuzzing runs on the suite's own fixture package: fast hasher, fakes, per-test rollback.

pytest.ini's `norecursedirs` keeps it out of the everyday runs (and `nox -s stress`); only
`nox -s fuzz`, which names `tests/fuzz` and installs schemathesis, collects it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest
import pytest_asyncio

from tests.fixtures.services import SAMPLE_TRANSCRIPT

if TYPE_CHECKING:
    from tests.fixtures.clients import UserClient
    from tests.fixtures.games import GameFactory
    from tests.fixtures.videos import VideoFactory

# "anonymous"/"authenticated" -> cases sent, and the operations they covered.
CASES: Counter[str] = Counter()
OPERATIONS: dict[str, set[str]] = {"anonymous": set(), "authenticated": set()}


@dataclass(frozen=True)
class Fuzzer:
    """Sends requests through an ASGI client on the worker's event loop, counting them."""

    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    who: str

    def send(
        self,
        operation: str,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
    ) -> httpx.Response:
        CASES[self.who] += 1
        OPERATIONS[self.who].add(operation)
        request = self.client.request(method, url, headers=headers, content=body)
        return self.loop.run_until_complete(request)


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
def anonymous_fuzzer(worker_loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient) -> Fuzzer:
    """Sends cases without a token."""
    return Fuzzer(worker_loop, client, "anonymous")


@pytest.fixture
def owner_fuzzer(worker_loop: asyncio.AbstractEventLoop, owner_with_data: UserClient) -> Fuzzer:
    """Sends cases with the bearer token of a user who owns a video and a game."""
    return Fuzzer(worker_loop, owner_with_data, "authenticated")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CASES:
        return
    operations = OPERATIONS["anonymous"] | OPERATIONS["authenticated"]
    terminalreporter.write_sep("=", "schemathesis")
    terminalreporter.write_line(
        f"{len(operations)} operations, {sum(CASES.values())} cases "
        f"(anonymous: {CASES['anonymous']} on {len(OPERATIONS['anonymous'])} operations, "
        f"authenticated: {CASES['authenticated']} on {len(OPERATIONS['authenticated'])} operations)"
    )
