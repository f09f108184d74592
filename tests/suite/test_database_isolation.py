"""The database promises on this backend (pytest-fastapi-db, as pytest.ini configures it),
each checked by behaviour."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import CachedTranslation

MARKER_SOURCE = "zz"


async def count_markers(session: AsyncSession) -> int:
    query = select(func.count()).where(CachedTranslation.source == MARKER_SOURCE)
    return await session.scalar(query) or 0


# The two tests below run in either order (pytest-randomly); whichever runs second would see
# the first one's committed row if rollback isolation leaked.
@pytest.mark.parametrize("word", ["first", "second"])
async def test_committed_rows_are_invisible_to_the_next_test(db_session, word):
    assert await count_markers(db_session) == 0
    db_session.add(
        CachedTranslation(source=MARKER_SOURCE, target="en", text=word, translation=word)
    )
    await db_session.commit()
    assert await count_markers(db_session) == 1


async def test_a_commit_inside_the_test_is_a_savepoint(db_session, db_connection):
    db_session.add(CachedTranslation(source=MARKER_SOURCE, target="en", text="x", translation="y"))
    await db_session.commit()
    # The outer transaction is still open: the commit only released a savepoint.
    assert db_connection.in_transaction()
    assert db_connection.in_nested_transaction() is False


async def test_app_sessions_see_the_test_transaction(app, db_session, client, auth_client):
    """A row the test commits is visible to the app's request sessions, and back."""
    response = await auth_client.get("/users/me")
    assert response.status_code == 200  # the user was committed by the factory, in the test


def test_sync_and_async_engines_share_this_workers_database(sync_engine, async_engine):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    assert sync_engine.url.database == async_engine.url.database
    # A file of its own on SQLite, a database of its own on PostgreSQL
    # (pytest_fastapi_db.databases).
    name = Path(sync_engine.url.database).name
    assert name == f"db-{worker}.sqlite3" or re.fullmatch(rf"fastapi_db_test_\w+_{worker}", name)


async def test_a_row_written_by_the_sync_engine_is_read_by_the_async_one(sync_engine, async_engine):
    with sync_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO translation_cache (source, target, text, translation) "
                "VALUES ('sy', 'en', 'bridge', 'puente')"
            )
        )
    try:
        async with async_engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT translation FROM translation_cache WHERE source = 'sy'")
            )
        assert found == "puente"
    finally:
        with sync_engine.begin() as connection:
            connection.execute(text("DELETE FROM translation_cache WHERE source = 'sy'"))
