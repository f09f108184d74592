"""Vocabulary games: who may play, and building a quiz from a video (POST /games).

Reading, answering and the game history are in test_game_play.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.games import MAX_QUESTIONS
from backend.models import CachedTranslation, Game
from backend.services.quiz import DISTRACTORS
from tests.fixtures.games import QUIZ_TRANSCRIPT, QUIZ_WORDS, solution
from tests.helpers import error_locations


async def count(session: AsyncSession, model: type[Any]) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/games", {"video_id": 1}),
        ("GET", "/games", None),
        ("GET", "/games/1", None),
        ("POST", "/games/1/answers", {"position": 0, "answer": "x"}),
    ],
)
async def test_every_route_needs_a_token(client, method, url, body):
    response = await client.request(method, url, json=body)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


# --- POST /games ------------------------------------------------------------------------------


async def test_a_new_game_asks_the_most_frequent_words_with_their_translation_among_options(
    auth_client, quiz_video
):
    response = await auth_client.post(
        "/games", json={"video_id": quiz_video["id"], "questions": 3, "seed": 7}
    )

    assert response.status_code == 201
    game = response.json()
    assert game["video_id"] == quiz_video["id"]
    assert game["seed"] == 7
    assert game["target_language"] == "en"
    assert (game["finished"], game["score"]) == (False, 0)
    assert [q["position"] for q in game["questions"]] == [0, 1, 2]
    assert [q["word"] for q in game["questions"]] == QUIZ_WORDS[:3]
    every_translation = {solution(word) for word in QUIZ_WORDS}
    for question in game["questions"]:
        assert solution(question["word"]) in question["options"]
        assert len(question["options"]) == 1 + DISTRACTORS
        assert len(set(question["options"])) == len(question["options"])
        assert set(question["options"]) <= every_translation
        assert (question["answer"], question["correct"], question["solution"]) == (None,) * 3


async def test_a_one_question_game_still_has_distractors(auth_client, quiz_video, game_factory):
    game = await game_factory(auth_client, quiz_video["id"], questions=1)

    (question,) = game["questions"]
    assert question["word"] == "gato"
    assert len(question["options"]) == 1 + DISTRACTORS


async def test_the_target_language_chooses_the_translations(
    auth_client, quiz_video, translation, game_factory
):
    game = await game_factory(auth_client, quiz_video["id"], questions=2, target_language="de")

    assert game["target_language"] == "de"
    # The two asked words and a few more for distractors, no more: each costs an upstream call.
    assert translation.calls == [(word, "es", "de") for word in QUIZ_WORDS[: 2 + DISTRACTORS]]
    for question in game["questions"]:
        assert solution(question["word"], "de") in question["options"]


async def test_unknown_words_are_asked_before_known_ones(auth_client, quiz_video, game_factory):
    for word in ("gato", "perro"):
        marked = await auth_client.put(f"/vocabulary/es/{word}", json={"known": True})
        assert marked.status_code == 200
    # A word marked *unknown* stays in frequency order among the unknown ones.
    await auth_client.put("/vocabulary/es/mesa", json={"known": False})

    three = await game_factory(auth_client, quiz_video["id"], questions=3)
    all_six = await game_factory(auth_client, quiz_video["id"], questions=6)

    assert [q["word"] for q in three["questions"]] == ["casa", "libro", "mesa"]
    assert [q["word"] for q in all_six["questions"]] == [
        "casa",
        "libro",
        "mesa",
        "silla",
        "gato",
        "perro",
    ]


async def test_the_same_seed_builds_the_same_game_from_the_cache(
    auth_client, quiz_video, translation, game_factory
):
    first = await game_factory(auth_client, quiz_video["id"], questions=4, seed=12345)
    calls = len(translation.calls)
    second = await game_factory(auth_client, quiz_video["id"], questions=4, seed=12345)

    assert second["id"] != first["id"]
    assert second["questions"] == first["questions"]
    assert len(translation.calls) == calls  # every word was cached by the first game


async def test_without_a_seed_the_game_gets_one_to_replay_it(auth_client, quiz_video, game_factory):
    game = await game_factory(auth_client, quiz_video["id"], questions=3)

    assert 0 <= game["seed"] < 2**31
    replay = await game_factory(auth_client, quiz_video["id"], questions=3, seed=game["seed"])
    assert replay["questions"] == game["questions"]


async def test_a_game_on_another_users_video_is_not_found(other_client, quiz_video, translation):
    response = await other_client.post("/games", json={"video_id": quiz_video["id"]})

    assert response.status_code == 404
    assert response.json() == {"detail": "video not found"}
    assert translation.calls == []


async def test_a_game_on_a_video_not_transcribed_is_a_conflict(
    auth_client, db_session, video_factory
):
    untranscribed = await video_factory(auth_client)

    response = await auth_client.post("/games", json={"video_id": untranscribed["id"]})

    assert response.status_code == 409
    assert "transcribed" in response.json()["detail"]
    assert await count(db_session, Game) == 0


# Rules that depend on the video, not on the request: schema-valid requests the video cannot
# serve are a 409 whose detail names the field (a 422 would call the request malformed).


async def test_more_questions_than_words_is_a_conflict(auth_client, quiz_video, db_session):
    response = await auth_client.post("/games", json={"video_id": quiz_video["id"], "questions": 7})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "questions: the video has only 6 vocabulary words; ask for at most that many"
    }
    assert await count(db_session, Game) == 0


async def test_a_target_language_equal_to_the_videos_is_a_conflict(
    auth_client, quiz_video, translation
):
    response = await auth_client.post(
        "/games", json={"video_id": quiz_video["id"], "target_language": "es"}
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "target_language: must differ from the video's language (es)"
    }
    assert translation.calls == []


@pytest.mark.parametrize(
    ("text", "table"),
    [
        pytest.param("Gato.", {}, id="one-word-video"),
        pytest.param(
            QUIZ_TRANSCRIPT, dict.fromkeys(QUIZ_WORDS, "animal"), id="one-translation-for-all"
        ),
    ],
)
async def test_a_quiz_needs_two_different_translations(
    auth_client, video_factory, translation, db_session, text, table
):
    translation.table = table
    video = await video_factory(auth_client, transcript=text)

    response = await auth_client.post("/games", json={"video_id": video["id"], "questions": 1})

    assert response.status_code == 409
    assert response.json()["detail"].startswith("video_id: ")
    assert translation.calls  # translated, then refused: the one commit never came
    assert await count(db_session, Game) == 0
    assert await count(db_session, CachedTranslation) == 0


async def test_a_translation_outage_is_503_and_writes_nothing(
    auth_client, quiz_video, translation, db_session
):
    translation.outage()

    response = await auth_client.post("/games", json={"video_id": quiz_video["id"]})

    assert response.status_code == 503
    assert response.json() == {"detail": "the translation service is down (simulated)"}
    assert await count(db_session, Game) == 0
    assert await count(db_session, CachedTranslation) == 0
    assert (await auth_client.get("/games")).json()["total"] == 0


@pytest.mark.parametrize(
    ("fields", "location"),
    [
        ({"questions": 0}, ["body", "questions"]),
        ({"questions": MAX_QUESTIONS + 1}, ["body", "questions"]),
        ({"seed": -1}, ["body", "seed"]),
        ({"seed": 2**31}, ["body", "seed"]),
        ({"target_language": "EN"}, ["body", "target_language"]),
        ({"video_id": "one"}, ["body", "video_id"]),
    ],
)
async def test_invalid_game_requests_are_rejected(auth_client, quiz_video, fields, location):
    response = await auth_client.post("/games", json={"video_id": quiz_video["id"], **fields})

    assert response.status_code == 422
    assert error_locations(response) == [location]


async def test_a_game_request_without_a_video_is_invalid(auth_client):
    response = await auth_client.post("/games", json={"questions": 2})

    assert response.status_code == 422
    assert error_locations(response) == [["body", "video_id"]]
