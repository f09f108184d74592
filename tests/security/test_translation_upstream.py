"""The real translation client inside the app, against an upstream that misbehaves.

`HttpTranslationService` is wired in through the app's own seam (the translation dependency),
its HTTP answered in-process by `httpx.MockTransport`. Whatever the upstream does wrong (down,
too slow, garbage), both routes that translate answer 503 with Retry-After, and the translation
cache holds no new row, not even for the words translated before the failure.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pytest_fastapi_db.overrides import Override
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.dependencies import get_translation_service
from backend.models import CachedTranslation, Game
from backend.services.translation import HttpTranslationService
from tests.fixtures.clients import UserClient
from tests.fixtures.services import SAMPLE_TRANSCRIPT
from tests.fixtures.videos import VideoFactory

Handler = Callable[[httpx.Request], httpx.Response]


def healthy(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"translatedText": f"{json.loads(request.content)['q']}-en"})


def down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def slow(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("no answer within TRANSLATION_TIMEOUT", request=request)


def answering(status_code: int, **content: Any) -> Handler:
    return lambda request: httpx.Response(status_code, **content)


BROKEN_UPSTREAMS: dict[str, Handler] = {
    "down": down,
    "slow": slow,
    "HTML error page": answering(status_code=200, text="<html>502 Bad Gateway</html>"),
    "JSON without the field": answering(status_code=200, json={"error": "busy"}),
    "a JSON list": answering(status_code=200, json=["hola"]),
    "a number": answering(status_code=200, json={"translatedText": 42}),
    "an empty translation": answering(status_code=200, json={"translatedText": "  "}),
    "an oversized translation": answering(status_code=200, json={"translatedText": "x" * 5000}),
    "a 500": answering(status_code=500, json={"translatedText": "hello"}),
    "a 429": answering(status_code=429, text="slow down"),
}


@dataclass
class Upstream:
    """The translation server the app talks to; `handler` decides each answer."""

    handler: Handler = healthy
    calls: int = 0
    healthy_calls: int = 0  # answer this many requests well before switching to `handler`

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls <= self.healthy_calls:
            return healthy(request)
        return self.handler(request)


@pytest_asyncio.fixture
async def upstream(override: Override) -> AsyncIterator[Upstream]:
    """The app with the real HTTP translation client, its upstream scripted in-process."""
    server = Upstream()
    transport = httpx.MockTransport(server)
    async with httpx.AsyncClient(transport=transport, base_url="http://translator.test") as http:
        override(get_translation_service, HttpTranslationService(http))
        yield server


async def cached_rows(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(CachedTranslation)) or 0


async def games_of(session: AsyncSession, client: UserClient) -> int:
    query = select(func.count()).select_from(Game).where(Game.owner_id == client.user.id)
    return await session.scalar(query) or 0


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"].isdigit()
    assert "translation service" in response.json()["detail"]


async def translate(client: UserClient, word: str = "perro") -> httpx.Response:
    return await client.get("/translations", params={"word": word, "source": "es"})


async def test_a_healthy_upstream_is_used_and_cached(
    auth_client: UserClient, upstream: Upstream, db_session: AsyncSession
):
    """Control: the real client is the one wired in, and a success does write the cache."""
    before = await cached_rows(db_session)

    response = await translate(auth_client)

    assert response.status_code == 200, response.text
    assert response.json()["translation"] == "perro-en"
    assert upstream.calls == 1
    assert await cached_rows(db_session) == before + 1


@pytest.mark.parametrize("handler", BROKEN_UPSTREAMS.values(), ids=BROKEN_UPSTREAMS.keys())
async def test_a_broken_upstream_makes_translations_503_and_caches_nothing(
    auth_client: UserClient, upstream: Upstream, db_session: AsyncSession, handler: Handler
):
    upstream.handler = handler
    before = await cached_rows(db_session)

    response = await translate(auth_client)

    assert_unavailable(response)
    assert upstream.calls == 1
    assert await cached_rows(db_session) == before


@pytest.mark.parametrize("handler", BROKEN_UPSTREAMS.values(), ids=BROKEN_UPSTREAMS.keys())
async def test_a_broken_upstream_makes_a_new_game_503_and_saves_nothing(
    auth_client: UserClient,
    video_factory: VideoFactory,
    upstream: Upstream,
    db_session: AsyncSession,
    handler: Handler,
):
    video = await video_factory(auth_client, transcript=SAMPLE_TRANSCRIPT.text)
    upstream.handler = handler
    before = await cached_rows(db_session)

    response = await auth_client.post("/games", json={"video_id": video["id"], "questions": 3})

    assert_unavailable(response)
    assert upstream.calls >= 1
    assert await cached_rows(db_session) == before
    assert await games_of(db_session, auth_client) == 0


async def test_a_failure_part_way_leaves_no_half_written_cache(
    auth_client: UserClient,
    video_factory: VideoFactory,
    upstream: Upstream,
    db_session: AsyncSession,
):
    """Two words come back fine, then the upstream dies: none of the three is cached."""
    video = await video_factory(auth_client, transcript=SAMPLE_TRANSCRIPT.text)
    upstream.healthy_calls, upstream.handler = 2, down
    before = await cached_rows(db_session)

    response = await auth_client.post("/games", json={"video_id": video["id"], "questions": 3})

    assert_unavailable(response)
    assert upstream.calls == 3
    assert await cached_rows(db_session) == before
    assert await games_of(db_session, auth_client) == 0
