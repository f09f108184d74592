"""The shared read-only world: an owner, a transcribed video and the owner's word marks.

Built once and read by many tests (tests/fixtures/shared_data.py) and timed by the bench
(`shared_data_ms`). The suite keeps each class's world committed in a database of its own
(`SharedWorlds`): it must outlive whatever other tests a worker runs between two tests of the
class, and only a database nobody else opens can hold it that long without a lock or rows
others would see. `shared_transaction` builds one inside a rolled-back transaction instead, for a
caller (the bench) that needs it only for a moment.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Hashable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from pytest_fastapi_db.databases import TestDatabases
from pytest_fastapi_db.isolation import rolled_back_connection, session_on
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from backend.db import build_async_engine
from backend.models import User, Video, WordStatus, utcnow
from backend.services.vocabulary import word_counts
from testkit.settings import DEFAULT_PASSWORD

SHARED_TITLE = "Shared clip: a cooking lesson"
SHARED_LANGUAGE = "es"
SHARED_TRANSCRIPT = (
    "Hola amigos. Hoy vamos a cocinar una tortilla de patatas. Primero pelamos las patatas, "
    "luego batimos los huevos. La tortilla de patatas necesita paciencia y buenas patatas."
)
# The owner's marks: some words of the transcript known, some not, the rest unmarked.
SHARED_MARKS: dict[str, bool] = {"patatas": True, "tortilla": True, "huevos": False}

_builds = itertools.count(1)


@dataclass(frozen=True)
class SharedVideo:
    """Plain values of the shared world (ORM objects would be detached across test sessions)."""

    build_id: int  # differs for every build: tests can tell one shared world from a rebuilt one
    owner_id: uuid.UUID
    owner_email: str
    owner_password: str
    video_id: int
    title: str
    language: str
    transcript: str
    marks: dict[str, bool] = field(default_factory=dict)

    @property
    def vocabulary(self) -> list[dict[str, object]]:
        """The video's vocabulary as `GET /videos/{id}/vocabulary` lists it for the owner."""
        return [
            {"word": word, "count": count, "known": self.marks.get(word)}
            for word, count in word_counts(self.transcript)
        ]


@dataclass(frozen=True)
class SharedWorld:
    """A world built inside an outer transaction on `connection` (`shared_transaction`)."""

    connection: AsyncConnection
    video: SharedVideo


async def build_shared_video(session: AsyncSession, hashed_password: str) -> SharedVideo:
    """Create the owner, the transcribed video and the owner's word marks; commit them."""
    build_id = next(_builds)
    owner = User(
        email=f"shared-owner-{build_id}-{uuid.uuid4().hex[:8]}@example.com",
        hashed_password=hashed_password,
        is_active=True,
        is_superuser=False,
        is_verified=False,
    )
    session.add(owner)
    await session.flush()
    video = Video(
        owner_id=owner.id,
        title=SHARED_TITLE,
        language=SHARED_LANGUAGE,
        original_filename=None,
        stored_name=None,
        size_bytes=0,
        transcript=SHARED_TRANSCRIPT,
        detected_language=SHARED_LANGUAGE,
        confidence=0.93,
        transcribed_at=utcnow(),
    )
    session.add(video)
    session.add_all(
        WordStatus(user_id=owner.id, language=SHARED_LANGUAGE, word=word, known=known)
        for word, known in SHARED_MARKS.items()
    )
    await session.commit()
    return SharedVideo(
        build_id=build_id,
        owner_id=owner.id,
        owner_email=owner.email,
        owner_password=DEFAULT_PASSWORD,
        video_id=video.id,
        title=SHARED_TITLE,
        language=SHARED_LANGUAGE,
        transcript=SHARED_TRANSCRIPT,
        marks=dict(SHARED_MARKS),
    )


@asynccontextmanager
async def shared_transaction(
    async_engine: AsyncEngine, hashed_password: str
) -> AsyncIterator[SharedWorld]:
    """Build the shared world inside an outer transaction; roll all of it back at exit."""
    async with rolled_back_connection(async_engine) as connection:
        async with session_on(connection) as session:
            video = await build_shared_video(session, hashed_password)
        yield SharedWorld(connection, video)


@dataclass(frozen=True)
class SharedWorldDatabase:
    """A world committed in a database of its own; tests reach it through `engine`."""

    engine: AsyncEngine
    video: SharedVideo


@asynccontextmanager
async def shared_world_database(
    database_url: str, hashed_password: str
) -> AsyncIterator[SharedWorldDatabase]:
    """Commit the world into the (migrated, empty) database at `database_url`."""
    engine = build_async_engine(database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            video = await build_shared_video(session, hashed_password)
        yield SharedWorldDatabase(engine, video)
    finally:
        await engine.dispose()


class SharedWorlds:
    """The worlds of one process, one per key, each built on its first request, kept to `aclose`.

    Keeping them until the end (rather than until the key's tests stop coming in a row) is
    what makes "built once" hold when a scheduler interleaves the key's tests with others.
    Each world gets a database of its own from the run's `TestDatabases`: a copy of the
    migrated template, on whichever engine the run uses.
    """

    def __init__(self, databases: TestDatabases, owner: str, hashed_password: str) -> None:
        self._databases = databases
        self._owner = owner  # several processes (xdist workers) share the run's databases
        self._hashed_password = hashed_password
        self._worlds: dict[Hashable, SharedWorldDatabase] = {}
        self._stack = AsyncExitStack()

    def __len__(self) -> int:
        return len(self._worlds)

    async def get(self, key: Hashable) -> SharedWorldDatabase:
        """The world of `key`, built now if this is its first request."""
        if key not in self._worlds:
            name = f"{self._owner}_shared_{len(self._worlds) + 1}"
            url = self._databases.create(name)
            self._stack.callback(self._databases.drop, name)  # after the engine is disposed
            self._worlds[key] = await self._stack.enter_async_context(
                shared_world_database(url, self._hashed_password)
            )
        return self._worlds[key]

    async def aclose(self) -> None:
        """Dispose of every world's engine and drop its database."""
        self._worlds.clear()
        await self._stack.aclose()
