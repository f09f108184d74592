"""Engines and sessions. Built by `create_app()`, never at import time.

The schema is not made here: it comes from the migrations (backend/schema.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# The optional extra that installs each driver the app knows (the others name themselves).
DRIVER_EXTRAS = {"asyncpg": "postgres"}


class DatabaseDriverMissing(RuntimeError):
    """DATABASE_URL names a driver that is not installed; the message says how to install it."""


def _sqlite_transactions_that_work(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, emit BEGIN.

    pysqlite (and aiosqlite over it) begins transactions lazily and on its own terms, so
    SAVEPOINT/RELEASE can commit for real. This is SQLAlchemy's documented fix.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


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


def build_async_engine(url: str) -> AsyncEngine:
    """The app's engine. The driver is imported here, and only the one `url` names."""
    try:
        engine = create_async_engine(url)
    except ImportError as error:
        raise DatabaseDriverMissing(missing_driver_message(url, error)) from error
    if engine.dialect.name == "sqlite":
        _sqlite_transactions_that_work(engine.sync_engine)
    return engine


def build_sync_engine(url: str) -> Engine:
    try:
        engine = create_engine(url)
    except ImportError as error:
        raise DatabaseDriverMissing(missing_driver_message(url, error)) from error
    if engine.dialect.name == "sqlite":
        _sqlite_transactions_that_work(engine)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: touching an expired attribute in async code is MissingGreenlet.
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_async_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; tests swap this for a session inside their transaction."""
    async with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_async_session)]
