"""The session fixtures of a sync app (its session dependency is a plain `def`, its routes
plain `def`s): a connection per test in an outer transaction rolled back at its end, sync
Sessions joining it as SAVEPOINTs, and Starlette's `TestClient`.

The one connection passes between threads, one at a time: `TestClient` runs the app in a
thread of its own and FastAPI runs `def` routes and dependencies in its thread pool, while the
test waits for the response. SQLite allows that for a file database (SQLAlchemy 2.0 opens
sqlite3 connections with `check_same_thread=False`); PostgreSQL's drivers allow it anyway.

The client does not run the app's lifespan: what an app does at start (a first superuser)
belongs on the template (ini `fastapi_db_seed`), made once per run, not once per test. A test
of the lifespan itself opens `with TestClient(app):`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from pytest_fastapi_db.isolation import SyncSessionMaker, rolled_back_sync_connection
from pytest_fastapi_db.schema import Schema

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

SessionMaker = SyncSessionMaker


@pytest.fixture
def db_connection(
    request: pytest.FixtureRequest, sync_engine: Engine, fastapi_db_schema: Schema
) -> Iterator[Connection]:
    """The test's connection, inside a transaction rolled back at the end."""
    if request.config.getoption("--db-isolation") == "recreate":
        fastapi_db_schema.recreate(sync_engine)
    with rolled_back_sync_connection(sync_engine) as connection:
        yield connection


@pytest.fixture
def session_maker(db_connection: Connection) -> SessionMaker:
    """Makes sessions that join the test's transaction as SAVEPOINTs.

    They expire on commit, as an app's own `sessionmaker` does by default: what the app
    returns after a commit is read back from the database, as in production (a SQLite
    timestamp comes back without its time zone, say), not the values it held in memory.
    """

    def make() -> Session:
        return Session(bind=db_connection, join_transaction_mode="create_savepoint")

    return make


@pytest.fixture
def db_session(session_maker: SessionMaker) -> Iterator[Session]:
    """A Session in the test's transaction: what it commits, the app sees, and the reverse."""
    with session_maker() as session:
        yield session


@pytest.fixture
def session_override(session_maker: SessionMaker) -> Callable[..., Any]:
    """What the app's session dependency becomes in a test: a session in its transaction."""

    def session_in_test_transaction() -> Iterator[Session]:
        with session_maker() as session:
            yield session

    return session_in_test_transaction


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous `TestClient` of the app (in-process, no server, no port; no lifespan)."""
    from fastapi.testclient import TestClient

    anonymous = TestClient(app)
    try:
        yield anonymous
    finally:
        anonymous.close()
