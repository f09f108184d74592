"""Test engines, and the two flavours of a database URL (sync for schema work, the app's own).

An app may build its engines itself (ini `fastapi_db_engine` / `fastapi_db_sync_engine`, so the
tests run on the engine production runs on); without that, SQLAlchemy's own, with the one thing
per-test SAVEPOINTs need on SQLite: the sqlite3 module begins and ends transactions on its own
terms, so SQLAlchemy must emit BEGIN itself (SQLAlchemy's documented pysqlite recipe), or a
RELEASE SAVEPOINT commits for real.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

if TYPE_CHECKING:  # imported when used: a sync app may have no greenlet, which it needs
    from sqlalchemy.ext.asyncio import AsyncEngine

# Sync driver -> async driver, for each dialect the plugin knows.
ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
SYNC_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}


def sync_url(url: str) -> str:
    """`url` with its dialect's sync driver (`sqlite+aiosqlite` -> `sqlite`, `+asyncpg` ->
    `+psycopg`); a sync URL is returned as it is."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if parsed.get_driver_name() != ASYNC_DRIVERS.get(backend):
        return url
    driver = "" if backend == "sqlite" else f"+{SYNC_DRIVERS[backend]}"
    return parsed.set(drivername=f"{backend}{driver}").render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """`url` with its dialect's async driver (`sqlite` -> `sqlite+aiosqlite`, `postgresql+psycopg`
    -> `postgresql+asyncpg`)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    driver = ASYNC_DRIVERS.get(backend)
    if driver is None:
        return url
    return parsed.set(drivername=f"{backend}+{driver}").render_as_string(hide_password=False)


def _savepoints_on_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def default_sync_engine(url: str) -> Engine:
    """SQLAlchemy's engine for `url`, SAVEPOINT-ready on SQLite."""
    engine = create_engine(url)
    _savepoints_on_sqlite(engine)
    return engine


def default_async_engine(url: str) -> AsyncEngine:
    """SQLAlchemy's async engine for `url`, SAVEPOINT-ready on SQLite."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    _savepoints_on_sqlite(engine.sync_engine)
    return engine
