"""Database reads that more than one route needs, written once and free of HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Game, Video, WordStatus

# The tables whose rows belong to one user through `owner_id`.
Owned = TypeVar("Owned", Video, Game)


async def get_owned(
    session: AsyncSession, model: type[Owned], row_id: int, owner_id: uuid.UUID
) -> Owned | None:
    """None for a row that is absent and for one of another user alike: callers cannot leak."""
    row = await session.get(model, row_id)
    return row if row is not None and row.owner_id == owner_id else None


async def newest_owned(
    session: AsyncSession, model: type[Owned], owner_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[Owned], int]:
    """One page of a user's rows, newest first, and how many rows there are in all."""
    mine = model.owner_id == owner_id
    total = await session.scalar(select(func.count()).select_from(model).where(mine))
    rows = await session.scalars(
        select(model).where(mine).order_by(model.id.desc()).limit(limit).offset(offset)
    )
    return rows.all(), total or 0


async def word_statuses(
    session: AsyncSession, user_id: uuid.UUID, language: str
) -> dict[str, bool]:
    """The user's words of `language`, each with whether it is known."""
    rows = await session.execute(
        select(WordStatus.word, WordStatus.known).where(
            WordStatus.user_id == user_id, WordStatus.language == language
        )
    )
    return {word: known for word, known in rows.tuples()}
