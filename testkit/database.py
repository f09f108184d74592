"""Test isolation on a real database: one outer transaction, sessions joining it as SAVEPOINTs.

Code under test may commit: its commits only release a savepoint, and the rollback of the outer
transaction at the end undoes everything. `recreate_schema` is the naive alternative the bench
measures against.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from backend.config import Settings
from backend.db import build_sync_engine
from backend.models import Base


def create_schema(settings: Settings) -> Engine:
    """A sync engine on the settings' database, with every table created."""
    engine = build_sync_engine(settings.sync_database_url)
    Base.metadata.create_all(engine)
    return engine


def recreate_schema(sync_engine: Engine) -> None:
    """The naive isolation: drop and create every table."""
    Base.metadata.drop_all(sync_engine)
    Base.metadata.create_all(sync_engine)


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
