"""Test isolation on a real database: one outer transaction, sessions joining it as SAVEPOINTs.

Code under test may commit: its commits only release a savepoint, and the rollback of the outer
transaction at the end undoes everything. `drop_tables` is the first half of the naive
alternative that `--db-isolation=recreate` runs (pytest_fastapi_db.schema), kept so a bench can
measure the difference.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, MetaData
from sqlalchemy.orm import Session

if TYPE_CHECKING:  # imported when used: a sync app may have no greenlet, which it needs
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

# What the `session_maker` fixture gives, for an async app and for a sync one. Here, not in the
# fixture modules, so that a conftest can import them: a module pytest loads as a plugin later
# must not be imported before (pytest could no longer rewrite its asserts, and warns).
AsyncSessionMaker = Callable[[], AbstractAsyncContextManager["AsyncSession"]]
SyncSessionMaker = Callable[[], Session]


@asynccontextmanager
async def rolled_back_connection(async_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back at exit."""
    connection = await async_engine.connect()
    try:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()
    finally:
        # Always, even when the test failed: a leaked connection exhausts the pool.
        await connection.close()


def session_on(connection: AsyncConnection) -> AsyncSession:
    """A session joining whatever transaction `connection` is in, as a SAVEPOINT."""
    from sqlalchemy.ext.asyncio import AsyncSession

    return AsyncSession(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@asynccontextmanager
async def savepoint(connection: AsyncConnection) -> AsyncIterator[AsyncConnection]:
    """A nested transaction on `connection`, rolled back at exit."""
    nested = await connection.begin_nested()
    try:
        yield connection
    finally:
        if nested.is_active:
            await nested.rollback()


@contextmanager
def rolled_back_sync_connection(engine: Engine) -> Iterator[Connection]:
    """`rolled_back_connection` for a sync engine."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


def sync_session_on(connection: Connection) -> Session:
    """`session_on` for a sync connection."""
    return Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def drop_tables(engine: Engine, metadata: MetaData | None) -> None:
    """Drop `metadata`'s tables, or without it every table the database has."""
    with engine.begin() as connection:
        if metadata is None:
            metadata = MetaData()
            metadata.reflect(connection)
        metadata.drop_all(connection)
