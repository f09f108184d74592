"""Vocabulary games: reading a game, answering it, and the game history."""

from __future__ import annotations

import pytest

from backend.api.games import MAX_QUESTIONS
from tests.fixtures.games import answer, solution
from tests.helpers import error_locations, finished_game_of

# --- GET /games/{id} --------------------------------------------------------------------------


async def test_a_game_reads_back_as_created(auth_client, quiz_video, game_factory):
    game = await game_factory(auth_client, quiz_video["id"], questions=2, seed=3)

    response = await auth_client.get(f"/games/{game['id']}")

    assert response.status_code == 200
    assert response.json() == game


async def test_another_users_game_is_not_found_and_cannot_be_answered(
    auth_client, other_client, quiz_video, game_factory
):
    game = await game_factory(auth_client, quiz_video["id"], questions=2)
    right = solution(game["questions"][0]["word"])

    read = await other_client.get(f"/games/{game['id']}")
    answered = await answer(other_client, game["id"], 0, right)

    assert (read.status_code, read.json()) == (404, {"detail": "game not found"})
    assert (answered.status_code, answered.json()) == (404, {"detail": "game not found"})
    mine = (await auth_client.get(f"/games/{game['id']}")).json()
    assert mine["questions"][0]["answer"] is None


async def test_a_missing_game_is_not_found(auth_client, quiz_video, game_factory):
    game = await game_factory(auth_client, quiz_video["id"], questions=1)

    response = await auth_client.get(f"/games/{game['id'] + 1000}")

    assert response.status_code == 404


async def test_a_game_id_that_is_no_integer_is_invalid(auth_client):
    read = await auth_client.get("/games/abc")
    answered = await answer(auth_client, "abc", 0, "x")

    for response in (read, answered):
        assert response.status_code == 422
        assert error_locations(response) == [["path", "game_id"]]


@pytest.mark.parametrize("game_id", [2**63, -(2**63) - 1, 10**30])
async def test_an_id_past_the_64_bit_range_names_no_game(auth_client, game_id):
    """Any integer is a valid id (the schema says so); one no row can have is 404. Ids beyond
    SQLite's integers used to crash the driver (a 500), then were a 422 the schema hid."""
    read = await auth_client.get(f"/games/{game_id}")
    answered = await answer(auth_client, game_id, 0, "x")

    for response in (read, answered):
        assert response.status_code == 404
        assert response.json() == {"detail": "game not found"}


# --- POST /games/{id}/answers -----------------------------------------------------------------


async def test_right_and_wrong_answers_are_scored(auth_client, quiz_video, game_factory):
    game = await game_factory(auth_client, quiz_video["id"], questions=3)
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


async def test_a_question_is_answered_once(auth_client, quiz_video, game_factory):
    game = await game_factory(auth_client, quiz_video["id"], questions=2)
    word = game["questions"][0]["word"]
    await answer(auth_client, game["id"], 0, "a wrong guess")

    again = await answer(auth_client, game["id"], 0, solution(word))

    assert again.status_code == 409
    assert again.json() == {"detail": "question 0 is already answered"}
    stored = (await auth_client.get(f"/games/{game['id']}")).json()
    assert (stored["questions"][0]["answer"], stored["score"]) == ("a wrong guess", 0)


async def test_answering_every_question_finishes_the_game(auth_client, quiz_video, game_factory):
    game = await game_factory(auth_client, quiz_video["id"], questions=2)
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
        ({"position": MAX_QUESTIONS, "answer": "x"}, ["body", "position"]),
        ({"position": -1, "answer": "x"}, ["body", "position"]),
        ({"answer": "x"}, ["body", "position"]),
        ({"position": 0, "answer": ""}, ["body", "answer"]),
        ({"position": 0, "answer": "x" * 257}, ["body", "answer"]),
    ],
)
async def test_invalid_answers_are_rejected(auth_client, quiz_video, body, location, game_factory):
    game = await game_factory(auth_client, quiz_video["id"], questions=2)

    response = await auth_client.post(f"/games/{game['id']}/answers", json=body)

    assert response.status_code == 422
    assert error_locations(response) == [location]
    stored = (await auth_client.get(f"/games/{game['id']}")).json()
    assert [q["answer"] for q in stored["questions"]] == [None, None]


async def test_a_position_past_the_games_questions_is_a_conflict(
    auth_client, quiz_video, game_factory
):
    """Within the schema's range but not this game's: a conflict with the game, naming the
    field (a 422 would tell a client its schema-valid request was malformed)."""
    game = await game_factory(auth_client, quiz_video["id"], questions=2)

    response = await answer(auth_client, game["id"], 2, "x")

    assert response.status_code == 409
    assert response.json() == {"detail": "position: the game has questions 0 to 1"}


# --- GET /games -------------------------------------------------------------------------------


async def test_the_history_lists_own_games_newest_first_in_pages(
    auth_client, user_factory, db_session, quiz_video, game_factory
):
    oldest = await game_factory(auth_client, quiz_video["id"], questions=1)
    middle = await game_factory(auth_client, quiz_video["id"], questions=2)
    newest = await game_factory(auth_client, quiz_video["id"], questions=3)
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
        "video_id": quiz_video["id"],
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
