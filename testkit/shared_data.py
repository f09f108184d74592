"""The shared read-only world: an owner, a transcribed video and the owner's word marks.

Built once and read by many tests (tests/fixtures/shared_data.py) and timed by the bench
(`shared_data_ms`). Everything is built inside an outer transaction on one connection, so
rolling it back leaves nothing behind.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from backend.models import User, Video, WordStatus, utcnow
from backend.services.vocabulary import word_counts
from testkit.database import rolled_back_connection, session_on
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
    """The class's connection (inside its outer transaction) and the data built on it."""

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
