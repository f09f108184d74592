"""Vocabulary of a video, the words a user knows, and learning progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from sqlalchemy import Integer, cast, func, select

from backend.api.common import (
    WORD_DESCRIPTION,
    WORD_SCHEMA,
    Language,
    StrictModel,
    check_word,
    errors,
    link,
    require_transcript,
)
from backend.api.dependencies import OwnedVideo
from backend.db import SessionDep
from backend.models import Game, Question, WordStatus
from backend.queries import word_statuses
from backend.services.vocabulary import word_counts
from backend.users import CurrentUser

router = APIRouter(tags=["vocabulary"], responses=errors(401))


class WordRead(BaseModel):
    word: str
    count: int
    known: bool | None


class VideoVocabulary(BaseModel):
    video_id: int
    language: str
    words: list[WordRead]


class WordStatusIn(StrictModel):
    known: bool


class WordStatusRead(BaseModel):
    language: str
    word: str
    known: bool


class Progress(BaseModel):
    known_words: int
    unknown_words: int
    games_played: int
    games_finished: int
    answers: int
    correct_answers: int
    accuracy: float | None


@router.get("/videos/{video_id}/vocabulary", responses=errors(404, 409))
async def video_vocabulary(
    video: OwnedVideo, user: CurrentUser, session: SessionDep
) -> VideoVocabulary:
    marks = await word_statuses(session, user.id, video.language)
    words = [
        WordRead(word=word, count=count, known=marks.get(word))
        for word, count in word_counts(require_transcript(video))
    ]
    return VideoVocabulary(video_id=video.id, language=video.language, words=words)


WORD_LINKS = {
    "ListWords": link(
        "list_words_vocabulary_get",
        "Your words in this language",
        language="$response.body#/language",
    ),
    "TranslateWord": link(
        "translate_translations_get",
        "Translate the word",
        word="$response.body#/word",
        source="$response.body#/language",
    ),
}


@router.put(
    "/vocabulary/{language}/{word}",
    responses={200: {"description": "The word's mark", "links": WORD_LINKS}, **errors(400)},
)
async def mark_word(
    language: Annotated[Language, Path()],
    word: Annotated[str, Path(description=WORD_DESCRIPTION, json_schema_extra=WORD_SCHEMA)],
    body: WordStatusIn,
    user: CurrentUser,
    session: SessionDep,
) -> WordStatusRead:
    check_word(("path", "word"), word)
    status = await session.scalar(
        select(WordStatus).where(
            WordStatus.user_id == user.id, WordStatus.language == language, WordStatus.word == word
        )
    )
    if status is None:
        status = WordStatus(user_id=user.id, language=language, word=word, known=body.known)
        session.add(status)
    status.known = body.known
    await session.commit()
    return WordStatusRead(language=language, word=word, known=body.known)


@router.get("/vocabulary")
async def list_words(
    user: CurrentUser,
    session: SessionDep,
    language: Annotated[Language | None, Query()] = None,
    known: bool | None = None,
) -> list[WordStatusRead]:
    query = select(WordStatus).where(WordStatus.user_id == user.id)
    if language is not None:
        query = query.where(WordStatus.language == language)
    if known is not None:
        query = query.where(WordStatus.known == known)
    rows = await session.scalars(query.order_by(WordStatus.language, WordStatus.word))
    return [WordStatusRead(language=r.language, word=r.word, known=r.known) for r in rows]


@router.get("/progress")
async def progress(user: CurrentUser, session: SessionDep) -> Progress:
    marks = await session.execute(
        select(WordStatus.known, func.count())
        .where(WordStatus.user_id == user.id)
        .group_by(WordStatus.known)
    )
    by_known = dict(marks.tuples().all())  # a Result has .keys(): dict() would index it
    games = await session.scalar(select(func.count()).where(Game.owner_id == user.id)) or 0
    answered = (
        select(Question.game_id, Question.correct)
        .join(Game)
        .where(Game.owner_id == user.id, Question.answer.is_not(None))
        .subquery()
    )
    # Counted as integers: PostgreSQL has no SUM of booleans, and SQLAlchemy would read a SUM
    # typed Boolean back as True rather than 3.
    correct_count = func.coalesce(func.sum(cast(answered.c.correct, Integer)), 0)
    answers, correct = (await session.execute(select(func.count(), correct_count))).one()
    unfinished = await session.scalar(
        select(func.count(func.distinct(Question.game_id)))
        .join(Game)
        .where(Game.owner_id == user.id, Question.answer.is_(None))
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
