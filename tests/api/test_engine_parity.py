"""What SQLite and PostgreSQL would each do differently, pinned to one answer through the API.

`nox -s ci` runs these on both engines: an engine that truncates, compares case-sensitively,
drops time zones or overflows a 4-byte integer would fail here, not in production.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from backend.api.common import MAX_ID, MIN_ID
from tests.fixtures.clients import UserFactory
from tests.fixtures.videos import VideoFactory
from tests.helpers import error_locations


@pytest.mark.parametrize("video_id", [2**31, 2**40, MAX_ID, MIN_ID])
async def test_ids_anywhere_in_the_64_bit_range_are_a_plain_404(auth_client, video_id: int):
    """Past a 4-byte INTEGER, up to the edge of the 8-byte range: no row, so 404, never 500."""
    for response in (
        await auth_client.get(f"/videos/{video_id}"),
        await auth_client.get(f"/games/{video_id}"),
        await auth_client.post("/games", json={"video_id": video_id}),
    ):
        assert response.status_code == 404, response.text


@pytest.mark.parametrize("video_id", [MAX_ID + 1, MIN_ID - 1, 9223372036854775999])
async def test_ids_past_the_64_bit_range_name_no_row(auth_client, video_id: int):
    """Any integer is an id, as the schema says; one no row can have is 404 without reaching the
    driver (which would overflow: a 500)."""
    by_path = await auth_client.get(f"/videos/{video_id}")
    by_body = await auth_client.post("/games", json={"video_id": video_id})
    assert (by_path.status_code, by_body.status_code) == (404, 404)
    assert by_path.json() == by_body.json() == {"detail": "video not found"}


async def test_an_email_differing_only_in_case_is_the_same_account(
    client: httpx.AsyncClient, user_factory: UserFactory
):
    await user_factory(email="Ana.Lopez@example.com", password="a-long-password")
    again = await client.post(
        "/auth/register", json={"email": "ana.lopez@EXAMPLE.com", "password": "another-password"}
    )
    assert again.status_code == 409
    assert again.json()["detail"] == "REGISTER_USER_ALREADY_EXISTS"
    login = await client.post(
        "/auth/jwt/login", data={"username": "ANA.LOPEZ@example.com", "password": "a-long-password"}
    )
    assert login.status_code == 200, login.text


async def test_timestamps_come_back_with_their_time_zone(auth_client, video_factory: VideoFactory):
    video = await video_factory(auth_client, transcript="Hola amigos, hoy cocinamos patatas.")
    assert datetime.fromisoformat(video["created_at"]).utcoffset() is not None
    transcription = await auth_client.get(f"/videos/{video['id']}/transcription")
    stamp = datetime.fromisoformat(transcription.json()["transcribed_at"])
    assert stamp.utcoffset() is not None


async def test_a_title_over_the_limit_is_refused_not_truncated(auth_client):
    response = await auth_client.post("/videos", data={"title": "t" * 201, "language": "es"})
    assert response.status_code == 422
    assert error_locations(response) == [["body", "title"]]
    exactly = await auth_client.post("/videos", data={"title": "t" * 200, "language": "es"})
    assert exactly.status_code == 201
    assert exactly.json()["title"] == "t" * 200
