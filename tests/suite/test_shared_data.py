"""Shared read-only data (tests/fixtures/shared_data.py): built once, intact for every test.

Checked here in whatever order pytest-randomly and xdist give; test_shared_data_promise.py
checks the order that once broke it (a class's tests interleaved with others) on every run.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI
from pytest_fastapi_db.databases import TestDatabases
from pytest_fastapi_db.isolation import rolled_back_connection, savepoint, session_on
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.models import User, Video, WordStatus
from testkit.shared_data import SHARED_TITLE, SharedVideo, SharedWorlds, shared_transaction
from tests.fixtures.shared_data import SharedVideoTests


async def expect_intact(client: httpx.AsyncClient, shared: SharedVideo) -> None:
    """The shared video, its transcript and the owner's marks, exactly as built."""
    video = await client.get(f"/videos/{shared.video_id}")
    assert video.status_code == 200, video.text
    assert (video.json()["title"], video.json()["transcribed"]) == (shared.title, True)
    vocabulary = await client.get(f"/videos/{shared.video_id}/vocabulary")
    assert vocabulary.status_code == 200, vocabulary.text
    assert vocabulary.json()["words"] == shared.vocabulary
    marks = await client.get("/vocabulary", params={"language": shared.language})
    assert {m["word"]: m["known"] for m in marks.json()} == shared.marks


async def delete_the_video(client: httpx.AsyncClient, shared: SharedVideo) -> None:
    assert (await client.delete(f"/videos/{shared.video_id}")).status_code == 204
    assert (await client.get(f"/videos/{shared.video_id}")).status_code == 404


async def flip_every_mark(client: httpx.AsyncClient, shared: SharedVideo) -> None:
    for word, known in shared.marks.items():
        response = await client.put(
            f"/vocabulary/{shared.language}/{word}", json={"known": not known}
        )
        assert response.status_code == 200, response.text
    marks = await client.get("/vocabulary", params={"language": shared.language})
    assert {m["word"]: m["known"] for m in marks.json()} == {
        word: not known for word, known in shared.marks.items()
    }


Mutation = Callable[[httpx.AsyncClient, SharedVideo], Awaitable[None]]


class TestEveryTestSeesTheSharedVideoIntact(SharedVideoTests):
    """Each test first checks the world as built, then changes it (committing) through the API.

    pytest-randomly shuffles these; whichever runs after another would find that one's change
    if the per-test savepoint leaked.
    """

    @pytest.mark.parametrize("mutation", [delete_the_video, flip_every_mark])
    async def test_changes_made_through_the_api_are_undone(
        self, shared_client: httpx.AsyncClient, shared_video: SharedVideo, mutation: Mutation
    ):
        await expect_intact(shared_client, shared_video)
        await mutation(shared_client, shared_video)

    async def test_changes_committed_by_the_test_session_are_undone(
        self, shared_client: httpx.AsyncClient, shared_video: SharedVideo, db_session: AsyncSession
    ):
        await expect_intact(shared_client, shared_video)
        await db_session.execute(
            update(Video).where(Video.id == shared_video.video_id).values(transcript=None)
        )
        await db_session.execute(
            delete(WordStatus).where(WordStatus.user_id == shared_video.owner_id)
        )
        await db_session.commit()
        response = await shared_client.get(f"/videos/{shared_video.video_id}/vocabulary")
        assert response.status_code == 409  # not transcribed any more, as far as the app sees

    async def test_other_users_made_in_a_test_do_not_see_it(
        self, other_client: httpx.AsyncClient, shared_video: SharedVideo
    ):
        """Fixtures that create users still work inside the class (they join the savepoint)."""
        assert (await other_client.get(f"/videos/{shared_video.video_id}")).status_code == 404
        assert (await other_client.get("/videos")).json()["total"] == 0


class TestTheSharedVideoIsBuiltOncePerClass(SharedVideoTests):
    builds_seen: ClassVar[set[int]] = set()

    @pytest.mark.parametrize("attempt", [1, 2, 3])
    async def test_every_test_of_the_class_gets_the_same_build(
        self, shared_video: SharedVideo, db_session: AsyncSession, attempt: int
    ):
        self.builds_seen.add(shared_video.build_id)
        # The promise is per process: xdist or pytest-split may give this class's tests to
        # several, and each builds it once, however its tests are interleaved with others.
        assert len(self.builds_seen) == 1
        titled = select(func.count()).where(Video.title == SHARED_TITLE)
        assert await db_session.scalar(titled) == 1


async def test_a_test_outside_the_classes_sees_no_shared_world(db_session: AsyncSession):
    """Whichever shared classes this process ran before or runs after, none of it is here."""
    titled = select(func.count()).where(Video.title == SHARED_TITLE)
    assert await db_session.scalar(titled) == 0
    owners = select(func.count()).where(User.__table__.c.email.startswith("shared-owner-"))
    assert await db_session.scalar(owners) == 0


async def count_shared_videos(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        query = select(func.count()).where(Video.title == SHARED_TITLE)
        return await connection.scalar(query) or 0


async def test_each_key_gets_one_committed_world_each_test_rolls_back_and_close_removes_all(
    test_databases: TestDatabases, fastapi_app: FastAPI
):
    """The fixtures' building blocks in a fixed order, without relying on test order."""
    databases = test_databases
    owner = f"check_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    names = [f"{owner}_shared_1", f"{owner}_shared_2"]
    worlds = SharedWorlds(databases, owner, fastapi_app.state.password_helper.hash("irrelevant"))
    try:
        first, second = await worlds.get("first"), await worlds.get("second")
        assert await worlds.get("first") is first
        assert first.video.build_id != second.video.build_id
        assert [databases.exists(name) for name in names] == [True, True]
        assert len(worlds) == 2
        for _ in range(2):
            async with (
                rolled_back_connection(first.engine) as connection,
                session_on(connection) as session,
            ):
                assert await session.get(Video, first.video.video_id) is not None
                await session.execute(delete(Video).where(Video.id == first.video.video_id))
                await session.commit()
                assert await session.get(Video, first.video.video_id) is None
        assert await count_shared_videos(first.engine) == 1
        assert await count_shared_videos(second.engine) == 1  # its own, untouched
    finally:
        await worlds.aclose()
    assert [databases.exists(name) for name in names] == [False, False]


async def test_savepoints_restore_the_world_and_the_outer_rollback_removes_it(
    async_engine: AsyncEngine, fastapi_app: FastAPI
):
    """`shared_transaction`, the bench's building block, in a fixed order."""
    hashed = fastapi_app.state.password_helper.hash("irrelevant-password")
    async with shared_transaction(async_engine, hashed) as world:
        for _ in range(2):
            async with savepoint(world.connection), session_on(world.connection) as session:
                assert await session.get(Video, world.video.video_id) is not None
                await session.execute(delete(Video).where(Video.id == world.video.video_id))
                await session.commit()
                assert await session.get(Video, world.video.video_id) is None
        async with session_on(world.connection) as session:
            assert await session.get(Video, world.video.video_id) is not None
    assert await count_shared_videos(async_engine) == 0
