"""Vocabulary of a video, marking words known, the user's word list and learning progress."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.games import answer, solution
from tests.helpers import error_locations, finished_game_of

# "el"/"la"/"y" are too short, "del"/"más" are stop-words and "2024" is no word, which leaves
# gato x3, pescado x2 (case folded) and three words once each, listed alphabetically.
TRANSCRIPT = "El gato come pescado. El gato duerme... ¡La canción del gato! Pescado, 2024 y más."
EXPECTED_COUNTS = [("gato", 3), ("pescado", 2), ("canción", 1), ("come", 1), ("duerme", 1)]


async def mark(client: httpx.AsyncClient, word: str, known: bool, language: str = "es") -> None:
    response = await client.put(f"/vocabulary/{language}/{word}", json={"known": known})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/videos/1/vocabulary", None),
        ("PUT", "/vocabulary/es/gato", {"known": True}),
        ("GET", "/vocabulary", None),
        ("GET", "/progress", None),
    ],
)
async def test_every_route_needs_a_token(client, method, url, body):
    response = await client.request(method, url, json=body)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


# --- GET /videos/{id}/vocabulary -------------------------------------------------------------


async def test_video_vocabulary_counts_words_most_frequent_first(auth_client, video_factory):
    video = await video_factory(auth_client, transcript=TRANSCRIPT)

    response = await auth_client.get(f"/videos/{video['id']}/vocabulary")

    assert response.status_code == 200
    assert response.json() == {
        "video_id": video["id"],
        "language": "es",
        "words": [{"word": w, "count": c, "known": None} for w, c in EXPECTED_COUNTS],
    }


async def test_video_vocabulary_shows_only_this_users_marks_in_the_videos_language(
    auth_client, other_client, video_factory
):
    video = await video_factory(auth_client, transcript=TRANSCRIPT)
    await mark(auth_client, "gato", known=True)
    await mark(auth_client, "pescado", known=False)
    await mark(auth_client, "come", known=True, language="fr")  # another language's "come"
    await mark(other_client, "duerme", known=True)  # somebody else's mark

    response = await auth_client.get(f"/videos/{video['id']}/vocabulary")

    known = {entry["word"]: entry["known"] for entry in response.json()["words"]}
    assert known == {
        "gato": True,
        "pescado": False,
        "canción": None,
        "come": None,
        "duerme": None,
    }


async def test_video_vocabulary_of_an_empty_transcript_is_empty(auth_client, video_factory):
    video = await video_factory(auth_client, transcript="Y la... de 123!")

    response = await auth_client.get(f"/videos/{video['id']}/vocabulary")

    assert response.status_code == 200
    assert response.json()["words"] == []


async def test_video_vocabulary_before_transcription_is_a_conflict(auth_client, video_factory):
    video = await video_factory(auth_client)

    response = await auth_client.get(f"/videos/{video['id']}/vocabulary")

    assert response.status_code == 409
    assert "transcribed" in response.json()["detail"]


async def test_video_vocabulary_of_another_users_video_is_not_found(
    auth_client, other_client, video_factory
):
    video = await video_factory(other_client, transcript=TRANSCRIPT)

    response = await auth_client.get(f"/videos/{video['id']}/vocabulary")

    assert response.status_code == 404
    assert response.json() == {"detail": "video not found"}


async def test_video_vocabulary_with_an_id_that_is_no_integer_is_invalid(auth_client):
    response = await auth_client.get("/videos/abc/vocabulary")
    assert response.status_code == 422
    assert error_locations(response) == [["path", "video_id"]]


@pytest.mark.parametrize("video_id", [2**63, -(2**63) - 1])
async def test_video_vocabulary_with_an_id_no_row_can_have_is_404(auth_client, video_id):
    """Ids beyond SQLite's integers used to crash the driver (a 500); they name no video."""
    response = await auth_client.get(f"/videos/{video_id}/vocabulary")
    assert response.status_code == 404


# --- PUT /vocabulary/{language}/{word} --------------------------------------------------------


async def test_marking_a_word_creates_then_updates_one_status(auth_client):
    first = await auth_client.put("/vocabulary/es/gato", json={"known": True})
    assert first.status_code == 200
    assert first.json() == {"language": "es", "word": "gato", "known": True}

    second = await auth_client.put("/vocabulary/es/gato", json={"known": False})
    assert second.status_code == 200
    assert second.json() == {"language": "es", "word": "gato", "known": False}

    listed = await auth_client.get("/vocabulary")
    assert listed.json() == [{"language": "es", "word": "gato", "known": False}]


async def test_a_word_with_accents_can_be_marked(auth_client):
    response = await auth_client.put("/vocabulary/es/canci%C3%B3n", json={"known": True})

    assert response.status_code == 200
    assert response.json()["word"] == "canción"


async def test_a_word_with_a_number_that_is_no_digit_can_be_marked(auth_client):
    """`²` was a word letter before the rule was in the schema; it still is."""
    response = await auth_client.put("/vocabulary/es/ab%C2%B2c", json={"known": True})

    assert response.status_code == 200
    assert response.json()["word"] == "ab²c"


@pytest.mark.parametrize("word", ["Hola", "ab", "the", "h0la", "ho_la", "gato%0A", "x" * 65])
async def test_marking_something_that_is_no_vocabulary_word_is_invalid(auth_client, word):
    response = await auth_client.put(f"/vocabulary/es/{word}", json={"known": True})

    assert response.status_code == 422
    assert error_locations(response) == [["path", "word"]]
    assert "not a stop-word" in response.json()["detail"][0]["msg"]
    assert (await auth_client.get("/vocabulary")).json() == []


@pytest.mark.parametrize("language", ["EN", "e", "engl", "e1"])
async def test_marking_a_word_of_an_invalid_language_is_invalid(auth_client, language):
    response = await auth_client.put(f"/vocabulary/{language}/gato", json={"known": True})

    assert response.status_code == 422
    assert error_locations(response) == [["path", "language"]]


@pytest.mark.parametrize(
    ("body", "location"),
    [({"known": "perhaps"}, ["body", "known"]), ({}, ["body", "known"]), (None, ["body"])],
)
async def test_marking_a_word_without_a_known_flag_is_invalid(auth_client, body, location):
    response = await auth_client.put("/vocabulary/es/gato", json=body)

    assert response.status_code == 422
    assert error_locations(response) == [location]


# --- GET /vocabulary --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, [("es", "gato", True), ("es", "perro", False), ("fr", "chat", True)]),
        ({"language": "es"}, [("es", "gato", True), ("es", "perro", False)]),
        ({"known": "true"}, [("es", "gato", True), ("fr", "chat", True)]),
        ({"known": "false"}, [("es", "perro", False)]),
        ({"language": "fr", "known": "false"}, []),
    ],
)
async def test_word_list_filters_the_users_own_words(auth_client, other_client, query, expected):
    await mark(auth_client, "perro", known=False)
    await mark(auth_client, "gato", known=True)
    await mark(auth_client, "chat", known=True, language="fr")
    await mark(other_client, "casa", known=False)

    response = await auth_client.get("/vocabulary", params=query)

    assert response.status_code == 200
    assert response.json() == [
        {"language": language, "word": word, "known": known} for language, word, known in expected
    ]


@pytest.mark.parametrize(
    ("query", "location"),
    [({"language": "ES"}, ["query", "language"]), ({"known": "perhaps"}, ["query", "known"])],
)
async def test_word_list_with_invalid_filters_is_invalid(auth_client, query, location):
    response = await auth_client.get("/vocabulary", params=query)

    assert response.status_code == 422
    assert error_locations(response) == [location]


# --- GET /progress ----------------------------------------------------------------------------


async def test_progress_of_a_new_user_is_empty_with_no_accuracy(auth_client):
    response = await auth_client.get("/progress")

    assert response.status_code == 200
    assert response.json() == {
        "known_words": 0,
        "unknown_words": 0,
        "games_played": 0,
        "games_finished": 0,
        "answers": 0,
        "correct_answers": 0,
        "accuracy": None,
    }


async def play(game: dict[str, Any], client: httpx.AsyncClient, right: list[bool]) -> None:
    """Answers the first questions of `game` right or wrong as told."""
    for question, is_right in zip(game["questions"], right, strict=False):
        right_option = solution(question["word"])  # the fake translator's answer
        wrong = next(option for option in question["options"] if option != right_option)
        response = await answer(
            client, game["id"], question["position"], right_option if is_right else wrong
        )
        assert response.json()["correct"] is is_right


@pytest.mark.slow  # two users, a game each, a dozen requests
async def test_progress_counts_marks_games_and_answers_of_this_user(
    auth_client, video_factory, game_factory, user_factory, db_session
):
    await mark(auth_client, "gato", known=True)
    await mark(auth_client, "pescado", known=True)
    await mark(auth_client, "come", known=False)
    video = await video_factory(auth_client, transcript=TRANSCRIPT)
    finished = await game_factory(auth_client, video["id"], questions=2)
    await play(finished, auth_client, right=[True, False])
    half_played = await game_factory(auth_client, video["id"], questions=2)
    await play(half_played, auth_client, right=[True])
    await finished_game_of(db_session, (await user_factory()).user)

    response = await auth_client.get("/progress")

    assert response.status_code == 200
    assert response.json() == {
        "known_words": 2,
        "unknown_words": 1,
        "games_played": 2,
        "games_finished": 1,
        "answers": 3,
        "correct_answers": 2,
        # Counted as a number: a SUM over the boolean column used to read 2 right as True (1).
        "accuracy": round(2 / 3, 4),
    }
