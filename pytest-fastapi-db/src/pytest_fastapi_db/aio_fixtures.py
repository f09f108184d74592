"""The session fixtures of an async app (its session dependency is `async def`): an AsyncEngine
per worker, a connection per test in an outer transaction rolled back at its end, and
AsyncSessions joining it as SAVEPOINTs, so code that commits still works and nothing stays.

Needs pytest-asyncio (`pip install 'pytest-fastapi-db[async]'`). The engine is session-scoped
on the session's event loop: set `asyncio_default_fixture_loop_scope = session` and
`asyncio_default_test_loop_scope = session` in the ini file, so tests run on that loop too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import pytest

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the message is the point
    raise ImportError(
        "the app's session dependency is async, which needs pytest-asyncio: "
        "`python -m pip install 'pytest-fastapi-db[async]'`"
    ) from None
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from pytest_fastapi_db.isolation import AsyncSessionMaker, rolled_back_connection, session_on
from pytest_fastapi_db.plugin import config_key
from pytest_fastapi_db.schema import Schema

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI

SessionMaker = AsyncSessionMaker


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def async_engine(
    pytestconfig: pytest.Config, database_url: str
) -> AsyncIterator[AsyncEngine]:
    """An async engine on the worker's database (ini `fastapi_db_engine` builds it)."""
    engine = pytestconfig.stash[config_key].make_engine()(database_url)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def db_connection(
    request: pytest.FixtureRequest,
    async_engine: AsyncEngine,
    sync_engine: Engine,
    fastapi_db_schema: Schema,
) -> AsyncIterator[AsyncConnection]:
    """The test's connection, inside a transaction rolled back at the end."""
    if request.config.getoption("--db-isolation") == "recreate":
        fastapi_db_schema.recreate(sync_engine)
    async with rolled_back_connection(async_engine) as connection:
        yield connection


@pytest.fixture
def session_maker(db_connection: AsyncConnection) -> SessionMaker:
    """Makes sessions that join the test's transaction as SAVEPOINTs."""

    def make() -> AbstractAsyncContextManager[AsyncSession]:
        return session_on(db_connection)

    return make


@pytest_asyncio.fixture
async def db_session(session_maker: SessionMaker) -> AsyncIterator[AsyncSession]:
    """An AsyncSession in the test's transaction: what it commits, the app sees."""
    async with session_maker() as session:
        yield session


@pytest.fixture
def session_override(session_maker: SessionMaker) -> Callable[..., Any]:
    """What the app's session dependency becomes in a test: a session in its transaction."""

    async def session_in_test_transaction() -> AsyncIterator[AsyncSession]:
        async with session_maker() as session:
            yield session

    return session_in_test_transaction


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous `httpx.AsyncClient` of the app, over ASGI (no server, no port)."""
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as anonymous:
        yield anonymous
