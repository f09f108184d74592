"""Word translation, served from the cache when it can be."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from backend.api.common import Language, errors, invalid
from backend.db import SessionDep
from backend.dependencies import TranslationDep
from backend.services.translation import translate_words
from backend.services.vocabulary import is_word
from backend.users import CurrentUser

router = APIRouter(tags=["translations"], responses=errors(401))


class TranslationRead(BaseModel):
    word: str
    source: str
    target: str
    translation: str
    cached: bool


@router.get(
    "/translations",
    responses={503: {"description": "The translation service is down or too slow"}},
)
async def translate(
    user: CurrentUser,
    session: SessionDep,
    service: TranslationDep,
    word: Annotated[str, Query(max_length=64)],
    source: Annotated[Language, Query()],
    target: Annotated[Language, Query()] = "en",
) -> TranslationRead:
    if not is_word(word):
        invalid(("query", "word"), "must be one lowercase word of 3 to 64 letters", word)
    if source == target:
        invalid(("query", "target"), "must differ from source", target)
    translations, cached = await translate_words(session, service, [word], source, target)
    return TranslationRead(
        word=word,
        source=source,
        target=target,
        translation=translations[word],
        cached=word in cached,
    )
