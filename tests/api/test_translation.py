"""GET /translations: one word through the translator, then from the database cache."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import CachedTranslation
from tests.helpers import error_locations


async def cached_rows(session: AsyncSession, text: str) -> list[tuple[str, str, str]]:
    """What the cache holds for `text`, as (source, target, translation)."""
    rows = await session.execute(
        select(CachedTranslation.source, CachedTranslation.target, CachedTranslation.translation)
        .where(CachedTranslation.text == text)
        .order_by(CachedTranslation.id)
    )
    return [(source, target, translation) for source, target, translation in rows.tuples()]


async def test_needs_a_token(client, translation):
    response = await client.get("/translations", params={"word": "gato", "source": "es"})

    assert response.status_code == 401
    assert translation.calls == []


async def test_first_translation_comes_from_the_service_the_second_from_the_cache(
    auth_client, translation, db_session
):
    translation.table = {"gato": "cat"}
    query = {"word": "gato", "source": "es", "target": "en"}

    first = await auth_client.get("/translations", params=query)

    assert first.status_code == 200
    assert first.json() == {
        "word": "gato",
        "source": "es",
        "target": "en",
        "translation": "cat",
        "cached": False,
    }
    assert translation.calls == [("gato", "es", "en")]
    assert await cached_rows(db_session, "gato") == [("es", "en", "cat")]

    second = await auth_client.get("/translations", params=query)

    assert second.status_code == 200
    assert second.json() == first.json() | {"cached": True}
    assert len(translation.calls) == 1


async def test_the_cache_is_shared_between_users(auth_client, other_client, translation):
    """Translations are not personal data: one user's look-up saves the next one's."""
    query = {"word": "perro", "source": "es", "target": "de"}
    await auth_client.get("/translations", params=query)

    response = await other_client.get("/translations", params=query)

    assert response.json()["cached"] is True
    assert response.json()["translation"] == "perro@de"
    assert len(translation.calls) == 1


async def test_the_cache_is_per_language_pair(auth_client, translation, db_session):
    await auth_client.get("/translations", params={"word": "gato", "source": "es"})

    response = await auth_client.get(
        "/translations", params={"word": "gato", "source": "es", "target": "fr"}
    )

    assert response.json()["cached"] is False
    assert response.json()["translation"] == "gato@fr"
    assert translation.calls == [("gato", "es", "en"), ("gato", "es", "fr")]
    assert await cached_rows(db_session, "gato") == [
        ("es", "en", "gato@en"),
        ("es", "fr", "gato@fr"),
    ]


async def test_target_defaults_to_english(auth_client, translation):
    response = await auth_client.get("/translations", params={"word": "canción", "source": "es"})

    assert response.status_code == 200
    assert response.json()["target"] == "en"
    assert translation.calls == [("canción", "es", "en")]


async def test_an_outage_is_503_and_caches_nothing(auth_client, translation, db_session):
    translation.outage()

    response = await auth_client.get("/translations", params={"word": "gato", "source": "es"})

    assert response.status_code == 503
    assert response.json() == {"detail": "the translation service is down (simulated)"}
    assert response.headers["retry-after"] == "30"
    assert await db_session.scalar(select(func.count()).select_from(CachedTranslation)) == 0


async def test_a_word_in_its_own_language_is_itself_without_asking_the_service(
    auth_client, translation
):
    """source == target is schema-valid, so it is answered (it used to be a 422 the schema hid)."""
    response = await auth_client.get(
        "/translations", params={"word": "gato", "source": "es", "target": "es"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "word": "gato",
        "source": "es",
        "target": "es",
        "translation": "gato",
        "cached": False,
    }
    assert translation.calls == []


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ({"word": "Gato", "source": "es"}, ["query", "word"]),
        ({"word": "ga", "source": "es"}, ["query", "word"]),
        ({"word": "the", "source": "en", "target": "es"}, ["query", "word"]),
        ({"word": "g4to", "source": "es"}, ["query", "word"]),
        ({"word": "gato perro", "source": "es"}, ["query", "word"]),
        ({"word": "x" * 65, "source": "es"}, ["query", "word"]),
        ({"source": "es"}, ["query", "word"]),
        ({"word": "gato"}, ["query", "source"]),
        ({"word": "gato", "source": "ES"}, ["query", "source"]),
        ({"word": "gato", "source": "es", "target": "english"}, ["query", "target"]),
    ],
)
async def test_invalid_queries_are_rejected_before_the_service(
    auth_client, translation, query, location
):
    response = await auth_client.get("/translations", params=query)

    assert response.status_code == 422
    assert error_locations(response) == [location]
    assert translation.calls == []
