"""The real Whisper engine end to end; runs only where the `whisper` extra and a model exist.

Model weights cannot be downloaded on the CI machines, so this is skipped there (the reason is
printed); the engine's own logic is covered with a stand-in model in
tests/services/test_transcription.py.
"""

from __future__ import annotations

import math
import os
import struct
import wave
from pathlib import Path

import pytest

from backend.dependencies import get_transcription_service
from backend.services.transcription import WhisperTranscriptionService

pytestmark = pytest.mark.real_services


def tone_wav(path: Path, seconds: float = 1.0, rate: int = 16_000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (
            int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate))
        )
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


async def test_real_whisper_transcribes_an_upload(
    app, override, auth_client, video_factory, tmp_path
):
    model = os.environ.get("TEST_WHISPER_MODEL")
    if not model or not Path(model).is_dir():
        pytest.skip("set TEST_WHISPER_MODEL to a local faster-whisper model directory")
    assert get_transcription_service not in app.dependency_overrides  # no fake in the way
    engine = WhisperTranscriptionService(model)
    override(get_transcription_service, engine)
    audio = tone_wav(tmp_path / "tone.wav")
    created = await video_factory(
        auth_client,
        audio.read_bytes(),
        filename="tone.wav",
        title="tone",
        language="en",
        content_type="audio/wav",
    )
    response = await auth_client.post(f"/videos/{created['id']}/transcription")
    assert response.status_code == 200, response.text
    assert 0.0 <= response.json()["confidence"] <= 1.0
