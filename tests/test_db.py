"""SQLite under concurrent requests, on the real engine: a file in tmp_path, real aiosqlite.

Nothing here races for a lock or sleeps: a test that needs the write lock taken takes it
itself (a plain sqlite3 connection in `BEGIN IMMEDIATE`), and knows that a writer is waiting
for it because SQLite's own trace callback reports the writer's `BEGIN IMMEDIATE` started
(it reports a statement as it starts, before the statement waits for the lock).
`nox -s load` measures the same engine under 40 users.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from backend.db import (
    DATABASE_BUSY,
    build_async_engine,
    build_sync_engine,
    get_async_session,
)
from backend.main import create_app
from testkit.settings import DEFAULT_PASSWORD, settings_for_tests
from tests.fixtures.clients import asgi_client
from tests.helpers import bearer, sqlite_file

# A write that has waited this long for the lock is given up (in the tests that wait for a
# lock released later): far beyond anything the test itself takes, so it never decides.
PATIENT = 60.0
# The most a test waits for something it knows will happen (a writer reaching the lock):
# a hang guard, never what a test measures.
HANG_GUARD = 30.0
WORD = "/vocabulary/es/palabra"


def notes_database(tmp_path: Path) -> Path:
    """A WAL database with one table, made with the plain sqlite3 module."""
    path = tmp_path / "notes.sqlite3"
    with sqlite_file(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE note (text TEXT NOT NULL)")
        connection.execute("INSERT INTO note VALUES ('committed')")
    return path


def url_of(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@contextmanager
def write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """The database's write lock, held by another connection until the block ends (rolled
    back then, unless the block committed)."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield holder
        if holder.in_transaction:
            holder.execute("ROLLBACK")
    finally:
        holder.close()


def begins_immediate(engine: AsyncEngine) -> asyncio.Event:
    """Set when a connection of `engine` starts a `BEGIN IMMEDIATE`: its write is about to
    wait for the lock. Call before the engine opens its first connection."""
    loop = asyncio.get_running_loop()
    started = asyncio.Event()

    def trace(statement: str) -> None:  # in the connection's own thread
        if statement == "BEGIN IMMEDIATE":
            loop.call_soon_threadsafe(started.set)

    @event.listens_for(engine.sync_engine, "connect")
    def _traced(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(lambda driver: driver.set_trace_callback(trace))

    return started


async def until_waiting(waiting: asyncio.Event, writer: asyncio.Future[Any]) -> None:
    """Return once the writer's `BEGIN IMMEDIATE` has started, so it is waiting for the lock;
    a writer that ended instead (failed at once: "database is locked") fails the test."""
    started = asyncio.ensure_future(waiting.wait())
    try:
        await asyncio.wait({started, writer}, timeout=HANG_GUARD, return_when="FIRST_COMPLETED")
    finally:
        started.cancel()
    if writer.done():
        await writer  # its error, if it failed
        pytest.fail("the write went through while another connection held the lock")
    assert waiting.is_set(), f"no BEGIN IMMEDIATE within {HANG_GUARD} s"


def served_by(engine: AsyncEngine) -> list[int]:
    """The DBAPI connection of each checkout from `engine`'s pool, in order."""
    connections: list[int] = []

    @event.listens_for(engine.sync_engine, "checkout")
    def _record(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        connections.append(id(dbapi_connection))

    return connections


async def notes(engine: AsyncEngine) -> list[str]:
    async with AsyncSession(engine) as session:
        rows = await session.execute(text("SELECT text FROM note ORDER BY rowid"))
        return list(rows.scalars())


async def read_then_write(engine: AsyncEngine, note: str) -> None:
    """What a route does: read first (the current user), then write, then commit."""
    async with AsyncSession(engine) as session:
        await session.execute(text("SELECT count(*) FROM note"))
        await session.execute(text("INSERT INTO note VALUES (:note)"), {"note": note})
        await session.commit()


class TestEveryConnection:
    async def test_async_connections_have_the_settings(self, tmp_path):
        engine = build_async_engine(url_of(tmp_path / "a.sqlite3"), busy_timeout=2.5)
        try:
            # Three at once, so the pool opens three connections.
            connections = [await engine.connect() for _ in range(3)]
            found = []
            for connection in connections:
                pragmas = {}
                for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys"):
                    pragmas[name] = (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                found.append(pragmas)
                await connection.close()
        finally:
            await engine.dispose()

        assert len({id(connection) for connection in connections}) == 3
        expected = {
            "journal_mode": "wal",
            "synchronous": 1,
            "busy_timeout": 2500,
            "foreign_keys": 1,
        }
        assert found == [expected] * 3  # synchronous 1 is NORMAL

    def test_sync_connections_have_them_too(self, tmp_path):
        """Schema work and the tests' own engine reach the same file: same settings."""
        engine = build_sync_engine(f"sqlite:///{tmp_path / 's.sqlite3'}", busy_timeout=0.5)
        try:
            with engine.connect() as first, engine.connect() as second:
                found = [
                    [connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in
                     ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")]
                    for connection in (first, second)
                ]  # fmt: skip
        finally:
            engine.dispose()

        assert found == [["wal", 1, 500, 1]] * 2


class TestReadersAndWriters:
    async def test_a_reader_does_not_wait_for_a_writer(self, tmp_path):
        """With no patience at all (busy timeout 0), a read while another connection holds
        the write lock, mid-write, still succeeds: it never needed the lock."""
        path = notes_database(tmp_path)
        engine = build_async_engine(url_of(path), busy_timeout=0)
        try:
            with write_lock(path) as holder:
                holder.execute("INSERT INTO note VALUES ('not committed yet')")
                seen = await notes(engine)
        finally:
            await engine.dispose()

        assert seen == ["committed"]  # the last committed state

    async def test_a_writer_waits_for_the_lock_then_writes(self, tmp_path):
        """A transaction that has read and then writes queues for the lock. Without
        IMMEDIATE it failed at once ("database is locked": SQLite does not wait for a
        transaction that read before another writer), whatever the busy timeout."""
        path = notes_database(tmp_path)
        engine = build_async_engine(url_of(path), busy_timeout=PATIENT)
        waiting = begins_immediate(engine)
        try:
            with write_lock(path) as holder:
                holder.execute("INSERT INTO note VALUES ('first')")
                writer = asyncio.create_task(read_then_write(engine, "second"))
                await until_waiting(waiting, writer)
                # The writer waits in its connection's thread: the event loop and a reader
                # go on meanwhile.
                assert await notes(engine) == ["committed"]
                assert not writer.done()
                holder.execute("COMMIT")
            await writer
            assert await notes(engine) == ["committed", "first", "second"]
        finally:
            await engine.dispose()

    async def test_two_writers_of_the_app_queue(self, tmp_path):
        """Two writes of the app's engine, the first holding the lock: the second waits for
        it, then both are there."""
        path = notes_database(tmp_path)
        engine = build_async_engine(url_of(path), busy_timeout=PATIENT)
        waiting = begins_immediate(engine)
        try:
            async with AsyncSession(engine) as first:
                await first.execute(text("INSERT INTO note VALUES ('first')"))  # has the lock
                waiting.clear()
                second = asyncio.create_task(read_then_write(engine, "second"))
                await until_waiting(waiting, second)
                await first.commit()
            await second
            assert await notes(engine) == ["committed", "first", "second"]
        finally:
            await engine.dispose()


class TestOneTransaction:
    async def test_what_it_wrote_before_taking_the_lock_is_not_committed_apart(self, tmp_path):
        """A write the first-write check does not recognize (a CTE before its INSERT) takes the
        lock itself; the recognized write after it must not COMMIT the transaction in two."""
        path = notes_database(tmp_path)
        engine = build_async_engine(url_of(path))
        try:
            async with AsyncSession(engine) as session:
                await session.execute(
                    text("WITH n AS (SELECT 'a' AS t) INSERT INTO note SELECT t FROM n")
                )
                await session.execute(text("INSERT INTO note VALUES ('b')"))
                await session.rollback()
            assert await notes(engine) == ["committed"]  # neither
        finally:
            await engine.dispose()


class TestAFailedCommit:
    async def test_leaves_no_transaction_on_the_pooled_connection(self, tmp_path):
        """A COMMIT that fails leaves SQLite inside its transaction, and SQLAlchemy, counting
        that transaction as over, did not roll it back: the connection went back to the pool
        that way and its next BEGIN failed with "cannot start a transaction within a
        transaction". A deferred foreign key makes a COMMIT fail here on demand (under load
        it was a COMMIT that timed out waiting for readers, in the rollback journal)."""
        path = tmp_path / "fk.sqlite3"
        with sqlite_file(path) as setup:
            setup.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            setup.execute(
                "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) "
                "DEFERRABLE INITIALLY DEFERRED)"  # checked at COMMIT
            )
        engine = build_async_engine(url_of(path))
        connections = served_by(engine)
        try:
            async with AsyncSession(engine) as session:
                await session.execute(text("INSERT INTO child VALUES (42)"))  # no parent 42
                with pytest.raises(Exception, match="FOREIGN KEY constraint failed"):
                    await session.commit()

            async with AsyncSession(engine) as session:
                await session.execute(text("INSERT INTO parent VALUES (1)"))
                await session.execute(text("INSERT INTO child VALUES (1)"))
                await session.commit()
        finally:
            await engine.dispose()

        assert len(connections) >= 2
        assert len(set(connections)) == 1  # the same connection, clean again
        with sqlite_file(path) as check:
            assert check.execute("SELECT parent_id FROM child").fetchall() == [(1,)]


@asynccontextmanager
async def served_app(
    tmp_path: Path, password_hash: Any, **settings: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, dict[str, str]]]:
    """The real app on a database file of its own (no test transaction, no override of its
    sessions), started, with a client logged in as a new user."""
    app = create_app(settings_for_tests(tmp_path, **settings), password_hash=password_hash)
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        account = {"email": "ana@example.com", "password": DEFAULT_PASSWORD}
        assert (await client.post("/auth/register", json=account)).status_code == 201
        login = await client.post(
            "/auth/jwt/login", data={"username": account["email"], "password": DEFAULT_PASSWORD}
        )
        yield app, client, bearer(login.json()["access_token"])


def database_file(app: FastAPI) -> Path:
    return Path(str(make_url(app.state.settings.database_url).database))


class TestThroughTheApp:
    async def test_a_write_past_the_timeout_is_503_and_its_connection_serves_the_next(
        self, tmp_path, password_hash
    ):
        async with served_app(tmp_path, password_hash, sqlite_busy_timeout=0.01) as (
            app,
            client,
            headers,
        ):
            connections = served_by(app.state.engine)
            with write_lock(database_file(app)):
                busy = await client.put(WORD, json={"known": True}, headers=headers)
                read = await client.get("/progress", headers=headers)
            after = await client.put(WORD, json={"known": True}, headers=headers)

        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "1"
        assert busy.json() == {"detail": DATABASE_BUSY}
        assert "503" in app.openapi()["paths"]["/vocabulary/{language}/{word}"]["put"]["responses"]
        assert read.status_code == 200  # reads go on while a write waits
        assert after.status_code == 200
        assert after.json() == {"language": "es", "word": "palabra", "known": True}
        # One pooled connection served all three, the 503 included: it came back clean.
        assert len(connections) >= 3
        assert len(set(connections)) == 1

    async def test_a_write_waits_for_the_lock_instead_of_failing(self, tmp_path, password_hash):
        async with served_app(tmp_path, password_hash, sqlite_busy_timeout=PATIENT) as (
            app,
            client,
            headers,
        ):
            waiting = begins_immediate(app.state.engine)
            # New connections, which have the trace: the pooled one was opened before it.
            await app.state.engine.dispose()
            with write_lock(database_file(app)) as holder:
                write = asyncio.create_task(
                    client.put(WORD, json={"known": False}, headers=headers)
                )
                await until_waiting(waiting, write)
                read = await client.get("/videos", headers=headers)
                assert not write.done()
                holder.execute("COMMIT")
            written = await write

        assert read.status_code == 200
        assert written.status_code == 200
        assert written.json()["known"] is False

    async def test_no_connection_in_time_is_503(self, tmp_path, password_hash):
        """Every pooled connection busy past the pool's timeout: 503, not the pool's
        TimeoutError as a 500. The app's sessions come from a pool of one here, whose one
        connection the test holds, so the request's wait for a connection times out."""
        async with served_app(tmp_path, password_hash) as (app, client, headers):
            small = create_async_engine(
                app.state.settings.database_url, pool_size=1, max_overflow=0, pool_timeout=0.01
            )

            async def session_of_the_small_pool() -> AsyncIterator[AsyncSession]:
                async with AsyncSession(small) as session:
                    yield session

            app.dependency_overrides[get_async_session] = session_of_the_small_pool
            try:
                async with small.connect() as held:
                    await held.execute(text("SELECT 1"))
                    response = await client.get("/progress", headers=headers)
            finally:
                app.dependency_overrides.clear()
                await small.dispose()

        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert response.json() == {"detail": DATABASE_BUSY}
