"""Word translation, served from the cache when it can be."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from backend.api.common import WORD_DESCRIPTION, WORD_SCHEMA, Language, check_word, errors
from backend.db import SessionDep
from backend.dependencies import TranslationDep
from backend.services.translation import translate_word
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
    word: Annotated[str, Query(description=WORD_DESCRIPTION, json_schema_extra=WORD_SCHEMA)],
    source: Annotated[Language, Query()],
    target: Annotated[
        Language, Query(description="The language to translate to; `source` gives the word back")
    ] = "en",
) -> TranslationRead:
    check_word(("query", "word"), word)
    translation, cached = await translate_word(session, service, word, source, target)
    return TranslationRead(
        word=word, source=source, target=target, translation=translation, cached=cached
    )
