"""Steps several API test modules share: the user's own data goes through the API, as a
client would; somebody else's is written straight to the database, which is faster."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Game, Question, User, Video, WordStatus
from backend.services.transcription import Transcript
from tests.fixtures.services import SAMPLE_TRANSCRIPT, FakeTranscription


def error_locations(response: httpx.Response) -> list[list[Any]]:
    """Where each error of a 422 points (`["body", "title"]`, ...): the field must be named."""
    return [error["loc"] for error in response.json()["detail"]]


async def uploaded_video(client: httpx.AsyncClient, language: str = "es") -> dict[str, Any]:
    """A video of `client`'s user with a media file, not transcribed yet."""
    response = await client.post(
        "/videos",
        data={"title": "Clip", "language": language},
        files={"file": ("clip.mp4", b"not really a video", "video/mp4")},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def transcribed_video(
    client: httpx.AsyncClient,
    transcription: FakeTranscription,
    text: str = SAMPLE_TRANSCRIPT.text,
    language: str = "es",
) -> dict[str, Any]:
    """A video of `client`'s user whose transcript is `text` (through the fake transcriber)."""
    video = await uploaded_video(client, language)
    transcription.result = Transcript(text=text, language=language, confidence=0.9)
    response = await client.post(f"/videos/{video['id']}/transcription")
    assert response.status_code == 200, response.text
    assert response.json()["transcript"] == text
    return (await client.get(f"/videos/{video['id']}")).json()


async def finished_game_of(session: AsyncSession, owner: User) -> Game:
    """A video, a word mark and a two-question game of `owner`, every answer wrong."""
    video = Video(owner_id=owner.id, title="Theirs", language="es", transcript="gato perro")
    session.add(video)
    session.add(WordStatus(user_id=owner.id, language="es", word="gato", known=False))
    await session.flush()
    game = Game(owner_id=owner.id, video_id=video.id, seed=1, target_language="en")
    game.questions = [
        Question(position=i, word=w, options=["a", "b"], solution="a", answer="b", correct=False)
        for i, w in enumerate(["gato", "perro"])
    ]
    session.add(game)
    await session.commit()
    return game
