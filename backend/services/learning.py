"""What a user is learning: the words they marked known or not, a video's vocabulary with those
marks, and their progress over words and games."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Game, Question, Video, WordStatus
from backend.queries import word_statuses
from backend.services.videos import require_transcript
from backend.services.vocabulary import word_counts


@dataclass(frozen=True)
class VideoWord:
    word: str
    count: int
    known: bool | None  # None: not marked yet


# GET /progress answers it as it is (no docstring: it would become the schema's description).
class Progress(BaseModel):
    known_words: int
    unknown_words: int
    games_played: int
    games_finished: int
    answers: int
    correct_answers: int
    accuracy: float | None


async def video_words(session: AsyncSession, user_id: uuid.UUID, video: Video) -> list[VideoWord]:
    """The video's vocabulary, most frequent first, each word with the user's mark on it."""
    marks = await word_statuses(session, user_id, video.language)
    return [
        VideoWord(word, count, marks.get(word))
        for word, count in word_counts(require_transcript(video))
    ]


async def mark_word(
    session: AsyncSession, user_id: uuid.UUID, language: str, word: str, known: bool
) -> WordStatus:
    """Mark a word known or not, creating the mark or changing it."""
    status = await session.scalar(
        select(WordStatus).where(
            WordStatus.user_id == user_id, WordStatus.language == language, WordStatus.word == word
        )
    )
    if status is None:
        status = WordStatus(user_id=user_id, language=language, word=word, known=known)
        session.add(status)
    status.known = known
    await session.commit()
    return status


async def marked_words(
    session: AsyncSession, user_id: uuid.UUID, language: str | None, known: bool | None
) -> Sequence[WordStatus]:
    """The user's marks, by language then word; `None` filters nothing."""
    query = select(WordStatus).where(WordStatus.user_id == user_id)
    if language is not None:
        query = query.where(WordStatus.language == language)
    if known is not None:
        query = query.where(WordStatus.known == known)
    rows = await session.scalars(query.order_by(WordStatus.language, WordStatus.word))
    return rows.all()


async def progress(session: AsyncSession, user_id: uuid.UUID) -> Progress:
    """Counts over the user's marks, games and answers."""
    marks = await session.execute(
        select(WordStatus.known, func.count())
        .where(WordStatus.user_id == user_id)
        .group_by(WordStatus.known)
    )
    by_known = dict(marks.tuples().all())  # a Result has .keys(): dict() would index it
    games = await session.scalar(select(func.count()).where(Game.owner_id == user_id)) or 0
    answered = (
        select(Question.game_id, Question.correct)
        .join(Game)
        .where(Game.owner_id == user_id, Question.answer.is_not(None))
        .subquery()
    )
    # Counted as integers: PostgreSQL has no SUM of booleans, and SQLAlchemy would read a SUM
    # typed Boolean back as True rather than 3.
    correct_count = func.coalesce(func.sum(cast(answered.c.correct, Integer)), 0)
    answers, correct = (await session.execute(select(func.count(), correct_count))).one()
    unfinished = await session.scalar(
        select(func.count(func.distinct(Question.game_id)))
        .join(Game)
        .where(Game.owner_id == user_id, Question.answer.is_(None))
    )
    return Progress(
        known_words=by_known.get(True, 0),
        unknown_words=by_known.get(False, 0),
        games_played=games,
        games_finished=games - (unfinished or 0),
        answers=answers,
        correct_answers=correct,
        accuracy=round(correct / answers, 4) if answers else None,
    )
