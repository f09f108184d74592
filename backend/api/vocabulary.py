"""Vocabulary of a video, the words a user knows, and learning progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from backend.api.common import (
    WORD_DESCRIPTION,
    WORD_SCHEMA,
    Language,
    StrictModel,
    check_word,
    domain_errors,
    errors,
    link,
)
from backend.api.dependencies import OwnedVideo
from backend.db import SessionDep
from backend.services import learning
from backend.services.learning import Progress
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


@router.get("/videos/{video_id}/vocabulary", responses=errors(404, 409))
async def video_vocabulary(
    video: OwnedVideo, user: CurrentUser, session: SessionDep
) -> VideoVocabulary:
    with domain_errors():
        words = await learning.video_words(session, user.id, video)
    return VideoVocabulary(
        video_id=video.id,
        language=video.language,
        words=[WordRead.model_validate(word, from_attributes=True) for word in words],
    )


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
    await learning.mark_word(session, user.id, language, word, body.known)
    return WordStatusRead(language=language, word=word, known=body.known)


@router.get("/vocabulary")
async def list_words(
    user: CurrentUser,
    session: SessionDep,
    language: Annotated[Language | None, Query()] = None,
    known: bool | None = None,
) -> list[WordStatusRead]:
    rows = await learning.marked_words(session, user.id, language, known)
    return [WordStatusRead(language=r.language, word=r.word, known=r.known) for r in rows]


@router.get("/progress")
async def progress(user: CurrentUser, session: SessionDep) -> Progress:
    return await learning.progress(session, user.id)
