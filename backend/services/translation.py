"""Word translation through a LibreTranslate-compatible HTTP API, cached in the database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import CachedTranslation
from backend.services.errors import ServiceUnavailable

MAX_TRANSLATION_LENGTH = 256


class TranslationService(Protocol):
    async def translate(self, text: str, source: str, target: str) -> str: ...


class HttpTranslationService:
    """Client of `POST {base_url}/translate`; every failure becomes `ServiceUnavailable`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def translate(self, text: str, source: str, target: str) -> str:
        payload = {"q": text, "source": source, "target": target, "format": "text"}
        try:
            response = await self._client.post("/translate", json=payload)
            response.raise_for_status()
            translated = response.json()["translatedText"]
        except httpx.TimeoutException as error:
            raise ServiceUnavailable("the translation service timed out") from error
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"the translation service failed: {error}") from error
        except (ValueError, KeyError, TypeError) as error:
            raise ServiceUnavailable("the translation service sent an unreadable answer") from error
        if not isinstance(translated, str) or not translated.strip():
            raise ServiceUnavailable("the translation service sent an empty translation")
        if len(translated) > MAX_TRANSLATION_LENGTH:
            raise ServiceUnavailable("the translation service sent an oversized translation")
        return translated.strip()


async def translate_words(
    session: AsyncSession,
    service: TranslationService,
    words: Iterable[str],
    source: str,
    target: str,
) -> tuple[dict[str, str], set[str]]:
    """Translations of `words` and the subset that came from the cache.

    New translations are all fetched before any is added to the session, so an outage part-way
    through leaves the cache exactly as it was; the caller's commit stores them (the rule in
    backend/services/__init__.py).
    """
    wanted = list(dict.fromkeys(words))
    rows = await session.scalars(
        select(CachedTranslation).where(
            CachedTranslation.source == source,
            CachedTranslation.target == target,
            CachedTranslation.text.in_(wanted),
        )
    )
    translations = {row.text: row.translation for row in rows}
    cached = set(translations)
    fetched = {w: await service.translate(w, source, target) for w in wanted if w not in cached}
    session.add_all(
        CachedTranslation(source=source, target=target, text=word, translation=translation)
        for word, translation in fetched.items()
    )
    return translations | fetched, cached


async def translate_word(
    session: AsyncSession, service: TranslationService, word: str, source: str, target: str
) -> tuple[str, bool]:
    """One word's translation and whether it came from the cache; a new one is cached. A word
    in its own language is itself: nothing to ask the service, nothing to cache."""
    if source == target:
        return word, False
    translations, cached = await translate_words(session, service, [word], source, target)
    await session.commit()
    return translations[word], word in cached
