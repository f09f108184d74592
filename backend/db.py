"""Engines and sessions. Built by `create_app()`, never at import time.

The schema is not made here: it comes from the migrations (backend/schema.py).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backend.config import DEFAULT_SQLITE_BUSY_TIMEOUT
from backend.services.errors import ServiceUnavailable

# The optional extra that installs each driver the app knows (the others name themselves).
DRIVER_EXTRAS = {"asyncpg": "postgres"}
DATABASE_BUSY = "the database is busy with other requests: try again in a moment"


class DatabaseDriverMissing(RuntimeError):
    """DATABASE_URL names a driver that is not installed; the message says how to install it."""


class DatabaseBusy(ServiceUnavailable):
    """No connection or no write lock within its timeout: a 503 the client may retry soon."""

    def __init__(self, detail: str = DATABASE_BUSY) -> None:
        super().__init__(detail, retry_after=1)


# connection.info: whether the transaction begun on this connection may write yet, and how
# many rows the connection had changed when it began (sqlite3's `total_changes`).
_MAY_WRITE = "backend.sqlite.may_write"
_CHANGES_AT_BEGIN = "backend.sqlite.changes_at_begin"
# Statements that write, by their first word (a SELECT, a SAVEPOINT, a RELEASE never does).
_WRITE = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def sqlite_pragmas(busy_timeout: float) -> dict[str, str]:
    """Every SQLite connection's settings, in force before its first statement.

    WAL: readers and the one writer no longer block each other, and a COMMIT does not wait
    for readers (in the default rollback journal it does, and times out under load).
    synchronous=NORMAL: WAL's recommended level, durable across an application crash (a power
    cut may lose the last commits, never corrupt the file). busy_timeout: how long a writer
    waits for the write lock before the request answers 503. It sleeps in the connection's
    own thread (aiosqlite runs each connection in a thread of its own), never in the event
    loop, which goes on serving while a writer waits.
    """
    return {
        "journal_mode": "WAL",
        "synchronous": "NORMAL",
        "busy_timeout": str(round(busy_timeout * 1000)),
        "foreign_keys": "ON",
    }


def _sqlite_for_concurrent_use(engine: Engine, busy_timeout: float) -> None:
    """SQLite set up for many requests at once: reads never wait, writes queue for the lock.

    SQLAlchemy, not the sqlite3 module, emits BEGIN (pysqlite begins transactions lazily and
    on its own terms, so SAVEPOINT/RELEASE could commit for real: SQLAlchemy's documented
    fix). Every transaction begins DEFERRED, so a request that only reads takes no lock and
    reads its snapshot while another writes. A transaction's first write (INSERT, UPDATE,
    DELETE, or DDL) first ends that read and begins again IMMEDIATE: SQLite then waits up to the
    busy timeout for the write lock, in turn with the other writers. A DEFERRED transaction
    that has read cannot wait for it: its write fails at once with "database is locked"
    whenever another connection writes (SQLite's rule: its snapshot may be stale), which is
    what answered 500s under load. So what a request read before its first write may have
    changed by the time it writes, as under PostgreSQL's default READ COMMITTED; the writes
    themselves are serialized. Inside a SAVEPOINT (a session joining an outer transaction,
    as the tests' sessions do), the outer transaction is left as it is, and so is one that
    has changed rows already (sqlite3's count says so: a write of a kind the check below does
    not recognize has taken the lock already, and a COMMIT would split the transaction).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for name, value in sqlite_pragmas(busy_timeout).items():
            cursor.execute(f"PRAGMA {name}={value}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")
        connection.info[_MAY_WRITE] = False
        connection.info[_CHANGES_AT_BEGIN] = _sqlite3_of(connection).total_changes

    # A dialect event (unlike before_cursor_execute) runs where SQLAlchemy handles DBAPI
    # errors, so a write lock not granted in time reaches handle_error below.
    @event.listens_for(engine, "do_execute")
    @event.listens_for(engine, "do_executemany")
    def _before_a_write(cursor: Any, statement: str, _parameters: Any, context: Any) -> None:
        if not (
            context.isinsert or context.isupdate or context.isdelete or _WRITE.match(statement)
        ):
            return
        connection: Connection = context.root_connection
        if connection.info.get(_MAY_WRITE, True):
            return
        connection.info[_MAY_WRITE] = True
        wrote = _sqlite3_of(connection).total_changes != connection.info[_CHANGES_AT_BEGIN]
        if not (wrote or connection.in_nested_transaction()):
            cursor.execute("COMMIT")  # only reads so far: nothing to lose
            cursor.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "handle_error")
    def _busy_is_503(context: ExceptionContext) -> None:
        if is_busy(context.original_exception):
            raise DatabaseBusy() from context.sqlalchemy_exception

    @event.listens_for(engine, "reset")
    def _never_back_in_a_transaction(dbapi_connection: Any, _record: Any, state: Any) -> None:
        """A connection goes back to the pool outside any transaction, whatever left it in one.

        A COMMIT that fails leaves SQLite inside its transaction (a deferred constraint, or a
        COMMIT that timed out waiting for readers in the rollback journal), while SQLAlchemy
        counts a transaction whose commit failed as over, so neither it nor the pool rolls
        back. The next BEGIN on that connection then failed with "cannot start a transaction
        within a transaction". sqlite3 knows the truth: roll back whatever it still holds.
        """
        if not state.terminate_only and _driver(dbapi_connection).in_transaction:
            dbapi_connection.rollback()


def _driver(dbapi_connection: Any) -> Any:
    """The sqlite3 connection, or aiosqlite's over it: both tell `in_transaction` and
    `total_changes` without a round trip to the connection's thread."""
    return getattr(dbapi_connection, "driver_connection", dbapi_connection)


def _sqlite3_of(connection: Connection) -> Any:
    return _driver(connection.connection.dbapi_connection)


def is_busy(error: BaseException | None) -> bool:
    """SQLite's "database is locked" (SQLITE_BUSY, any extended code) or "table is locked"."""
    code = getattr(error, "sqlite_errorcode", None)
    return (
        isinstance(error, sqlite3.OperationalError)
        and code is not None
        and (code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED))
    )


def missing_driver_message(url: str, error: ImportError) -> str:
    driver = make_url(url).get_driver_name()
    extra = DRIVER_EXTRAS.get(driver)
    package = error.name or driver
    fix = f"python -m pip install {package}"
    if extra:  # the checkout's extra; an installed wheel has no checkout at hand
        fix = f"python -m pip install -e '.[{extra}]' from the checkout, or {fix}"
    return (
        f"DATABASE_URL uses the {driver} driver, which is not installed "
        f"(No module named {error.name!r}). Install it with: {fix}"
    )


def build_async_engine(
    url: str, *, busy_timeout: float = DEFAULT_SQLITE_BUSY_TIMEOUT
) -> AsyncEngine:
    """The app's engine. The driver is imported here, and only the one `url` names."""
    try:
        engine = create_async_engine(url)
    except ImportError as error:
        raise DatabaseDriverMissing(missing_driver_message(url, error)) from error
    if engine.dialect.name == "sqlite":
        _sqlite_for_concurrent_use(engine.sync_engine, busy_timeout)
    return engine


def build_sync_engine(url: str, *, busy_timeout: float = DEFAULT_SQLITE_BUSY_TIMEOUT) -> Engine:
    try:
        engine = create_engine(url)
    except ImportError as error:
        raise DatabaseDriverMissing(missing_driver_message(url, error)) from error
    if engine.dialect.name == "sqlite":
        _sqlite_for_concurrent_use(engine, busy_timeout)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: touching an expired attribute in async code is MissingGreenlet.
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_async_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; tests swap this for a session inside their transaction."""
    async with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_async_session)]
