"""The HTTP translation client against a scripted server, and the database cache in front of it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import CachedTranslation
from backend.services.errors import ServiceUnavailable
from backend.services.translation import (
    MAX_TRANSLATION_LENGTH,
    HttpTranslationService,
    translate_words,
)

Handler = Callable[[httpx.Request], httpx.Response]
BASE_URL = "http://translator.test"


@asynccontextmanager
async def service(handler: Handler) -> AsyncIterator[HttpTranslationService]:
    """The real client class, its transport answered in-process by `handler`."""
    transport = httpx.MockTransport(handler)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield HttpTranslationService(client)


def answering(translated: object) -> Handler:
    return lambda _request: httpx.Response(200, json={"translatedText": translated})


# --- HttpTranslationService -------------------------------------------------------------------


async def test_posts_the_libretranslate_payload_and_returns_the_translation():
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"translatedText": "  cat \n"})

    async with service(handler) as translator:
        translated = await translator.translate("gato", "es", "en")

    assert translated == "cat"
    (request,) = requests
    assert (request.method, str(request.url)) == ("POST", f"{BASE_URL}/translate")
    assert json.loads(request.content) == {
        "q": "gato",
        "source": "es",
        "target": "en",
        "format": "text",
    }


async def test_a_translation_of_the_maximum_length_is_accepted():
    longest = "x" * MAX_TRANSLATION_LENGTH
    async with service(answering(longest)) as translator:
        assert await translator.translate("gato", "es", "en") == longest


def raising(error: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("scripted failure", request=request)

    return handler


@pytest.mark.parametrize(
    ("handler", "detail"),
    [
        pytest.param(
            lambda _r: httpx.Response(500, text="boom"),
            "the translation service failed: Server error '500 Internal Server Error'",
            id="http-500",
        ),
        pytest.param(
            lambda _r: httpx.Response(429, json={"error": "slow down"}),
            "the translation service failed: Client error '429 Too Many Requests'",
            id="http-429",
        ),
        pytest.param(
            raising(httpx.ReadTimeout), "the translation service timed out", id="read-timeout"
        ),
        pytest.param(
            raising(httpx.ConnectTimeout), "the translation service timed out", id="connect-timeout"
        ),
        pytest.param(
            raising(httpx.ConnectError),
            "the translation service failed: scripted failure",
            id="connection-refused",
        ),
        pytest.param(
            lambda _r: httpx.Response(200, text="<html>gateway</html>"),
            "the translation service sent an unreadable answer",
            id="not-json",
        ),
        pytest.param(
            lambda _r: httpx.Response(200, json={"error": "no such language"}),
            "the translation service sent an unreadable answer",
            id="no-translatedText",
        ),
        pytest.param(
            lambda _r: httpx.Response(200, json=["cat"]),
            "the translation service sent an unreadable answer",
            id="json-list",
        ),
        pytest.param(
            answering(None), "the translation service sent an empty translation", id="null"
        ),
        pytest.param(
            answering(["cat"]), "the translation service sent an empty translation", id="not-text"
        ),
        pytest.param(
            answering(" \t"), "the translation service sent an empty translation", id="blank"
        ),
        pytest.param(
            answering("x" * (MAX_TRANSLATION_LENGTH + 1)),
            "the translation service sent an oversized translation",
            id="oversized",
        ),
    ],
)
async def test_every_failure_is_service_unavailable_with_a_clear_detail(handler, detail):
    async with service(handler) as translator:
        with pytest.raises(ServiceUnavailable) as caught:
            await translator.translate("gato", "es", "en")

    assert caught.value.detail.startswith(detail)


# --- translate_words --------------------------------------------------------------------------


class ScriptedTranslator:
    """A TranslationService that records calls and, if told, fails on its n-th call."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.fail_on_call = fail_on_call
        self.calls: list[str] = []

    async def translate(self, text: str, source: str, target: str) -> str:
        self.calls.append(text)
        if len(self.calls) == self.fail_on_call:
            raise ServiceUnavailable("scripted outage")
        return f"{text}:{source}>{target}"


async def cache_contents(session: AsyncSession) -> set[tuple[str, str, str, str]]:
    rows = await session.execute(
        select(
            CachedTranslation.source,
            CachedTranslation.target,
            CachedTranslation.text,
            CachedTranslation.translation,
        )
    )
    return {
        (source, target, text, translation) for source, target, text, translation in rows.tuples()
    }


async def test_new_words_are_fetched_once_each_and_cached(db_session):
    translator = ScriptedTranslator()

    translations, cached = await translate_words(
        db_session, translator, ["gato", "perro", "gato"], "es", "en"
    )

    assert translations == {"gato": "gato:es>en", "perro": "perro:es>en"}
    assert cached == set()
    assert translator.calls == ["gato", "perro"]
    assert await cache_contents(db_session) == {
        ("es", "en", "gato", "gato:es>en"),
        ("es", "en", "perro", "perro:es>en"),
    }


async def test_cached_words_do_not_reach_the_service(db_session):
    db_session.add(CachedTranslation(source="es", target="en", text="gato", translation="cat"))
    await db_session.commit()
    translator = ScriptedTranslator()

    translations, cached = await translate_words(
        db_session, translator, ["gato", "perro"], "es", "en"
    )

    assert translations == {"gato": "cat", "perro": "perro:es>en"}
    assert cached == {"gato"}
    assert translator.calls == ["perro"]


async def test_the_cache_only_serves_its_own_language_pair(db_session):
    db_session.add(CachedTranslation(source="es", target="fr", text="gato", translation="chat"))
    await db_session.commit()
    translator = ScriptedTranslator()

    translations, cached = await translate_words(db_session, translator, ["gato"], "es", "en")

    assert (translations, cached) == ({"gato": "gato:es>en"}, set())


async def test_an_outage_part_way_through_a_batch_leaves_the_cache_unchanged(db_session):
    db_session.add(CachedTranslation(source="es", target="en", text="casa", translation="house"))
    await db_session.commit()
    before = await cache_contents(db_session)
    translator = ScriptedTranslator(fail_on_call=2)

    with pytest.raises(ServiceUnavailable, match="scripted outage"):
        await translate_words(db_session, translator, ["casa", "gato", "perro", "mesa"], "es", "en")

    assert translator.calls == ["gato", "perro"]  # "gato" was translated, then the outage
    assert await cache_contents(db_session) == before
