"""Vocabulary games: building a quiz from a video, answering it, and the game history."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.games import MAX_QUESTIONS
from backend.models import CachedTranslation, Game
from backend.services.quiz import DISTRACTORS
from tests.api.helpers import (
    error_locations,
    finished_game_of,
    transcribed_video,
    uploaded_video,
)

# gato x3 and perro x2 lead; the four words said once follow alphabetically ("y" is too short).
TRANSCRIPT = "Gato gato gato. Perro perro. Casa, mesa, silla y libro."
WORDS = ["gato", "perro", "casa", "libro", "mesa", "silla"]


def solution(word: str, target: str = "en") -> str:
    """What the fake translator answers for `word`, hence the right option."""
    return f"{word}@{target}"


@pytest.fixture
async def video(auth_client, transcription) -> dict[str, Any]:
    """A transcribed Spanish video of `auth_client`'s user with the six words of TRANSCRIPT."""
    return await transcribed_video(auth_client, transcription, TRANSCRIPT)


async def new_game(client: httpx.AsyncClient, video_id: int, **fields: Any) -> dict[str, Any]:
    response = await client.post("/games", json={"video_id": video_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def answer(
    client: httpx.AsyncClient, game_id: int, position: int, text: str
) -> httpx.Response:
    return await client.post(
        f"/games/{game_id}/answers", json={"position": position, "answer": text}
    )


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
    auth_client, video
):
    response = await auth_client.post(
        "/games", json={"video_id": video["id"], "questions": 3, "seed": 7}
    )

    assert response.status_code == 201
    game = response.json()
    assert game["video_id"] == video["id"]
    assert game["seed"] == 7
    assert game["target_language"] == "en"
    assert (game["finished"], game["score"]) == (False, 0)
    assert [q["position"] for q in game["questions"]] == [0, 1, 2]
    assert [q["word"] for q in game["questions"]] == WORDS[:3]
    every_translation = {solution(word) for word in WORDS}
    for question in game["questions"]:
        assert solution(question["word"]) in question["options"]
        assert len(question["options"]) == 1 + DISTRACTORS
        assert len(set(question["options"])) == len(question["options"])
        assert set(question["options"]) <= every_translation
        assert (question["answer"], question["correct"], question["solution"]) == (None,) * 3


async def test_a_one_question_game_still_has_distractors(auth_client, video):
    game = await new_game(auth_client, video["id"], questions=1)

    (question,) = game["questions"]
    assert question["word"] == "gato"
    assert len(question["options"]) == 1 + DISTRACTORS


async def test_the_target_language_chooses_the_translations(auth_client, video, translation):
    game = await new_game(auth_client, video["id"], questions=2, target_language="de")

    assert game["target_language"] == "de"
    # The two asked words and a few more for distractors, no more: each costs an upstream call.
    assert translation.calls == [(word, "es", "de") for word in WORDS[: 2 + DISTRACTORS]]
    for question in game["questions"]:
        assert solution(question["word"], "de") in question["options"]


async def test_unknown_words_are_asked_before_known_ones(auth_client, video):
    for word in ("gato", "perro"):
        marked = await auth_client.put(f"/vocabulary/es/{word}", json={"known": True})
        assert marked.status_code == 200
    # A word marked *unknown* stays in frequency order among the unknown ones.
    await auth_client.put("/vocabulary/es/mesa", json={"known": False})

    three = await new_game(auth_client, video["id"], questions=3)
    all_six = await new_game(auth_client, video["id"], questions=6)

    assert [q["word"] for q in three["questions"]] == ["casa", "libro", "mesa"]
    assert [q["word"] for q in all_six["questions"]] == [
        "casa",
        "libro",
        "mesa",
        "silla",
        "gato",
        "perro",
    ]


async def test_the_same_seed_builds_the_same_game_from_the_cache(auth_client, video, translation):
    first = await new_game(auth_client, video["id"], questions=4, seed=12345)
    calls = len(translation.calls)
    second = await new_game(auth_client, video["id"], questions=4, seed=12345)

    assert second["id"] != first["id"]
    assert second["questions"] == first["questions"]
    assert len(translation.calls) == calls  # every word was cached by the first game


async def test_without_a_seed_the_game_gets_one_to_replay_it(auth_client, video):
    game = await new_game(auth_client, video["id"], questions=3)

    assert 0 <= game["seed"] < 2**31
    replay = await new_game(auth_client, video["id"], questions=3, seed=game["seed"])
    assert replay["questions"] == game["questions"]


async def test_a_game_on_another_users_video_is_not_found(other_client, video, translation):
    response = await other_client.post("/games", json={"video_id": video["id"]})

    assert response.status_code == 404
    assert response.json() == {"detail": "video not found"}
    assert translation.calls == []


async def test_a_game_on_a_video_not_transcribed_is_a_conflict(auth_client, db_session):
    untranscribed = await uploaded_video(auth_client)

    response = await auth_client.post("/games", json={"video_id": untranscribed["id"]})

    assert response.status_code == 409
    assert "transcribed" in response.json()["detail"]
    assert await count(db_session, Game) == 0


async def test_more_questions_than_words_is_invalid(auth_client, video, db_session):
    response = await auth_client.post("/games", json={"video_id": video["id"], "questions": 7})

    assert response.status_code == 422
    assert error_locations(response) == [["body", "questions"]]
    assert "only 6 vocabulary words" in response.json()["detail"][0]["msg"]
    assert await count(db_session, Game) == 0


async def test_a_target_language_equal_to_the_videos_is_invalid(auth_client, video, translation):
    response = await auth_client.post(
        "/games", json={"video_id": video["id"], "target_language": "es"}
    )

    assert response.status_code == 422
    assert error_locations(response) == [["body", "target_language"]]
    assert translation.calls == []


@pytest.mark.parametrize(
    ("text", "table"),
    [
        pytest.param("Gato.", {}, id="one-word-video"),
        pytest.param(TRANSCRIPT, dict.fromkeys(WORDS, "animal"), id="one-translation-for-all"),
    ],
)
async def test_a_quiz_needs_two_different_translations(
    auth_client, transcription, translation, db_session, text, table
):
    translation.table = table
    video = await transcribed_video(auth_client, transcription, text)

    response = await auth_client.post("/games", json={"video_id": video["id"], "questions": 1})

    assert response.status_code == 422
    assert error_locations(response) == [["body", "video_id"]]
    assert await count(db_session, Game) == 0


async def test_a_translation_outage_is_503_and_writes_nothing(
    auth_client, video, translation, db_session
):
    translation.outage()

    response = await auth_client.post("/games", json={"video_id": video["id"]})

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
        ({"video_id": 2**63}, ["body", "video_id"]),  # used to crash SQLite: a 500
    ],
)
async def test_invalid_game_requests_are_rejected(auth_client, video, fields, location):
    response = await auth_client.post("/games", json={"video_id": video["id"], **fields})

    assert response.status_code == 422
    assert error_locations(response) == [location]


async def test_a_game_request_without_a_video_is_invalid(auth_client):
    response = await auth_client.post("/games", json={"questions": 2})

    assert response.status_code == 422
    assert error_locations(response) == [["body", "video_id"]]


# --- GET /games/{id} --------------------------------------------------------------------------


async def test_a_game_reads_back_as_created(auth_client, video):
    game = await new_game(auth_client, video["id"], questions=2, seed=3)

    response = await auth_client.get(f"/games/{game['id']}")

    assert response.status_code == 200
    assert response.json() == game


async def test_another_users_game_is_not_found_and_cannot_be_answered(
    auth_client, other_client, video
):
    game = await new_game(auth_client, video["id"], questions=2)
    right = solution(game["questions"][0]["word"])

    read = await other_client.get(f"/games/{game['id']}")
    answered = await answer(other_client, game["id"], 0, right)

    assert (read.status_code, read.json()) == (404, {"detail": "game not found"})
    assert (answered.status_code, answered.json()) == (404, {"detail": "game not found"})
    mine = (await auth_client.get(f"/games/{game['id']}")).json()
    assert mine["questions"][0]["answer"] is None


async def test_a_missing_game_is_not_found(auth_client, video):
    game = await new_game(auth_client, video["id"], questions=1)

    response = await auth_client.get(f"/games/{game['id'] + 1000}")

    assert response.status_code == 404


@pytest.mark.parametrize("game_id", ["abc", str(2**63)])
async def test_an_impossible_game_id_is_invalid(auth_client, game_id):
    """Ids beyond SQLite's integers used to crash the driver (a 500)."""
    read = await auth_client.get(f"/games/{game_id}")
    answered = await answer(auth_client, game_id, 0, "x")  # type: ignore[arg-type]

    for response in (read, answered):
        assert response.status_code == 422
        assert error_locations(response) == [["path", "game_id"]]


# --- POST /games/{id}/answers -----------------------------------------------------------------


async def test_right_and_wrong_answers_are_scored(auth_client, video):
    game = await new_game(auth_client, video["id"], questions=3)
    first, second, _ = game["questions"]
    wrong = next(o for o in second["options"] if o != solution(second["word"]))

    right_result = await answer(auth_client, game["id"], 0, solution(first["word"]))
    wrong_result = await answer(auth_client, game["id"], 1, wrong)

    assert right_result.status_code == 200
    assert right_result.json() == {
        "position": 0,
        "correct": True,
        "solution": solution(first["word"]),
        "score": 1,
        "finished": False,
    }
    assert wrong_result.json() == {
        "position": 1,
        "correct": False,
        "solution": solution(second["word"]),
        "score": 1,
        "finished": False,
    }
    questions = (await auth_client.get(f"/games/{game['id']}")).json()["questions"]
    assert [(q["answer"], q["correct"], q["solution"]) for q in questions] == [
        (solution(first["word"]), True, solution(first["word"])),
        (wrong, False, solution(second["word"])),
        (None, None, None),  # the solution stays hidden until answered
    ]


async def test_a_question_is_answered_once(auth_client, video):
    game = await new_game(auth_client, video["id"], questions=2)
    word = game["questions"][0]["word"]
    await answer(auth_client, game["id"], 0, "a wrong guess")

    again = await answer(auth_client, game["id"], 0, solution(word))

    assert again.status_code == 409
    assert again.json() == {"detail": "question 0 is already answered"}
    stored = (await auth_client.get(f"/games/{game['id']}")).json()
    assert (stored["questions"][0]["answer"], stored["score"]) == ("a wrong guess", 0)


async def test_answering_every_question_finishes_the_game(auth_client, video):
    game = await new_game(auth_client, video["id"], questions=2)
    words = [q["word"] for q in game["questions"]]

    await answer(auth_client, game["id"], 1, solution(words[1]))
    last = await answer(auth_client, game["id"], 0, solution(words[0]))
    after = await answer(auth_client, game["id"], 0, solution(words[0]))

    assert last.json()["finished"] is True
    assert last.json()["score"] == 2
    assert after.status_code == 409
    assert "finished" in after.json()["detail"]
    stored = (await auth_client.get(f"/games/{game['id']}")).json()
    assert (stored["finished"], stored["score"]) == (True, 2)


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"position": 2, "answer": "x"}, ["body", "position"]),  # the game has 0 and 1
        ({"position": MAX_QUESTIONS, "answer": "x"}, ["body", "position"]),
        ({"position": -1, "answer": "x"}, ["body", "position"]),
        ({"answer": "x"}, ["body", "position"]),
        ({"position": 0, "answer": ""}, ["body", "answer"]),
        ({"position": 0, "answer": "x" * 257}, ["body", "answer"]),
    ],
)
async def test_invalid_answers_are_rejected(auth_client, video, body, location):
    game = await new_game(auth_client, video["id"], questions=2)

    response = await auth_client.post(f"/games/{game['id']}/answers", json=body)

    assert response.status_code == 422
    assert error_locations(response) == [location]
    stored = (await auth_client.get(f"/games/{game['id']}")).json()
    assert [q["answer"] for q in stored["questions"]] == [None, None]


# --- GET /games -------------------------------------------------------------------------------


async def test_the_history_lists_own_games_newest_first_in_pages(
    auth_client, user_factory, db_session, video
):
    oldest = await new_game(auth_client, video["id"], questions=1)
    middle = await new_game(auth_client, video["id"], questions=2)
    newest = await new_game(auth_client, video["id"], questions=3)
    await answer(auth_client, oldest["id"], 0, solution(oldest["questions"][0]["word"]))
    await finished_game_of(db_session, (await user_factory()).user)

    page_one = (await auth_client.get("/games", params={"limit": 2})).json()
    page_two = (await auth_client.get("/games", params={"limit": 2, "offset": 2})).json()

    assert (page_one["total"], page_one["limit"], page_one["offset"]) == (3, 2, 0)
    assert [g["id"] for g in page_one["items"]] == [newest["id"], middle["id"]]
    assert (page_two["total"], page_two["offset"]) == (3, 2)
    (summary,) = page_two["items"]
    assert summary == {
        "id": oldest["id"],
        "video_id": video["id"],
        "created_at": oldest["created_at"],
        "finished": True,
        "score": 1,
        "total": 1,
    }
    assert [(g["finished"], g["total"]) for g in page_one["items"]] == [(False, 3), (False, 2)]


async def test_the_history_of_a_new_user_is_empty(auth_client):
    response = await auth_client.get("/games")

    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": 20, "offset": 0}


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 101}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
    ],
)
async def test_the_history_rejects_invalid_pages(auth_client, query, location):
    response = await auth_client.get("/games", params=query)

    assert response.status_code == 422
    assert error_locations(response) == [location]
