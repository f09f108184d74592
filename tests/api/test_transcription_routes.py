"""Transcribing a video and reading its transcript, through the fake transcription service."""

from __future__ import annotations

from backend.models import Video
from backend.services.errors import ServiceUnavailable, UnreadableMedia
from backend.services.transcription import Transcript
from tests.fixtures.videos import CLIP
from tests.helpers import files_in, reloaded, user_folder

# GET /videos/{id}/transcription of a video not transcribed yet, but for its `video_id`.
NOT_TRANSCRIBED = {
    "status": "not_transcribed",
    "transcript": None,
    "language": None,
    "confidence": None,
    "transcribed_at": None,
}


class TestTranscription:
    async def test_transcribe_stores_the_result(
        self, video_factory, auth_client, db_session, settings, transcription
    ):
        transcription.result = Transcript("Hola a todos", "es", 0.87)
        created = await video_factory(auth_client, language="es")

        response = await auth_client.post(f"/videos/{created['id']}/transcription")

        assert response.status_code == 200
        body = response.json()
        assert body["video_id"] == created["id"]
        assert (body["transcript"], body["language"], body["confidence"]) == (
            "Hola a todos",
            "es",
            0.87,
        )
        video = await reloaded(db_session, Video, created["id"])
        assert video is not None
        assert (video.transcript, video.detected_language, video.confidence) == (
            "Hola a todos",
            "es",
            0.87,
        )
        assert video.transcribed_at is not None
        # The engine got the stored file and the language the user declared.
        [(media, language)] = transcription.calls
        assert video.stored_name is not None
        assert media == user_folder(settings, auth_client.user) / video.stored_name
        assert media.read_bytes() == CLIP
        assert language == "es"

    async def test_read_after_transcribing(self, video_factory, auth_client, transcription):
        created = await video_factory(auth_client)
        posted = (await auth_client.post(f"/videos/{created['id']}/transcription")).json()

        response = await auth_client.get(f"/videos/{created['id']}/transcription")

        assert response.status_code == 200
        assert response.json() == posted
        assert response.json()["transcript"] == transcription.result.text
        assert (await auth_client.get(f"/videos/{created['id']}")).json()["transcribed"] is True

    async def test_read_before_transcribing_is_a_status(self, video_factory, auth_client):
        """Every video has a transcription resource: until it is made, 200 with a status a
        client can act on (a 404 would read as "no such video")."""
        created = await video_factory(auth_client)

        response = await auth_client.get(f"/videos/{created['id']}/transcription")

        assert response.status_code == 200
        assert response.json() == NOT_TRANSCRIBED | {"video_id": created["id"]}

    async def test_detected_language_is_reported_when_it_differs(
        self, video_factory, auth_client, transcription
    ):
        transcription.result = Transcript("Bonjour", "fr", 0.5)
        created = await video_factory(auth_client, language="es")

        body = (await auth_client.post(f"/videos/{created['id']}/transcription")).json()

        assert body["language"] == "fr"
        assert (await auth_client.get(f"/videos/{created['id']}")).json()["language"] == "es"

    async def test_transcribing_again_replaces_the_transcript(
        self, video_factory, auth_client, transcription
    ):
        created = await video_factory(auth_client)
        await auth_client.post(f"/videos/{created['id']}/transcription")
        transcription.result = Transcript("Second take", "es", 0.99)

        response = await auth_client.post(f"/videos/{created['id']}/transcription")

        assert response.json()["transcript"] == "Second take"
        read = await auth_client.get(f"/videos/{created['id']}/transcription")
        assert read.json()["transcript"] == "Second take"
        assert len(transcription.calls) == 2

    async def test_a_video_without_a_file_is_409(
        self, video_factory, auth_client, db_session, transcription
    ):
        created = await video_factory(auth_client, content=None)

        response = await auth_client.post(f"/videos/{created['id']}/transcription")

        assert response.status_code == 409
        assert "no media file" in response.json()["detail"]
        assert transcription.calls == []
        video = await reloaded(db_session, Video, created["id"])
        assert video is not None
        assert video.transcript is None

    async def test_a_video_whose_file_vanished_is_409(
        self, video_factory, auth_client, settings, transcription
    ):
        created = await video_factory(auth_client)
        for path in files_in(user_folder(settings, auth_client.user)):
            path.unlink()

        response = await auth_client.post(f"/videos/{created['id']}/transcription")

        assert response.status_code == 409
        assert transcription.calls == []

    async def test_a_file_that_is_no_media_is_409_and_stores_nothing(
        self, video_factory, auth_client, db_session, transcription
    ):
        """Any bytes may be uploaded; the engine finds out it cannot decode them. The client's
        data, not the server: no 500."""
        transcription.error = UnreadableMedia("the video's media file cannot be decoded: junk")
        created = await video_factory(auth_client)

        response = await auth_client.post(f"/videos/{created['id']}/transcription")

        assert response.status_code == 409
        assert response.json() == {"detail": "the video's media file cannot be decoded: junk"}
        video = await reloaded(db_session, Video, created["id"])
        assert video is not None
        assert video.transcript is None

    async def test_engine_outage_is_503_and_stores_nothing(
        self, video_factory, auth_client, db_session, transcription
    ):
        transcription.error = ServiceUnavailable("whisper is warming up")
        created = await video_factory(auth_client)

        response = await auth_client.post(f"/videos/{created['id']}/transcription")

        assert response.status_code == 503
        assert response.json() == {"detail": "whisper is warming up"}
        assert response.headers["retry-after"] == "30"
        video = await reloaded(db_session, Video, created["id"])
        assert video is not None
        assert video.transcript is None
        after = await auth_client.get(f"/videos/{created['id']}/transcription")
        assert after.json() == NOT_TRANSCRIBED | {"video_id": created["id"]}
