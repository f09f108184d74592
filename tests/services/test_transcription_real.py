"""The real Whisper engine end to end: faster-whisper on tiny models made for the run.

No weights can be downloaded here, so tests/fixtures/whisper.py builds models offline
(testkit/whisper_model.py): one whose weights favour a phrase, so the text is exact, and one of
random weights, of whose output only the form can be known (the models themselves:
tests/suite/test_whisper_model.py). The service and the routes are the app's own; the only seam
used is the service's `loader=`, to watch the real model's answers.
Skipped where the engine is not installed (the reason says how to get it); `nox -s ci` has it.
"""

from __future__ import annotations

import inspect
import math
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.dependencies import get_transcription_service
from backend.services.transcription import WhisperTranscriptionService, load_faster_whisper
from testkit.whisper_model import LANGUAGES, write_tone
from tests.fixtures.whisper import WHISPER_LANGUAGE, WHISPER_PHRASE

pytestmark = pytest.mark.real_services

WINDOW = 30.0  # seconds of audio Whisper reads at a time: no timestamp goes past it
# PyAV's reason for bytes that are no media; its message also names the file, which stays out.
INVALID = "cannot be decoded: Invalid data found when processing input"


def png() -> bytes:
    """A 1x1 PNG: media PyAV opens (as an image) but with no audio stream."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\x00\x00\x00")
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


@pytest.fixture
def engine(override, whisper_service: WhisperTranscriptionService) -> WhisperTranscriptionService:
    """The routes get the real service on the favouring model (no fake in the way)."""
    override(get_transcription_service, whisper_service)
    return whisper_service


@pytest.fixture
def tone(tmp_path: Path) -> Path:
    return write_tone(tmp_path / "tone.wav", seconds=2.0)


async def upload(auth_client, video_factory, content: bytes, language: str = WHISPER_LANGUAGE):
    return await video_factory(
        auth_client, content, filename="clip.wav", content_type="audio/wav", language=language
    )


class TestThroughTheRoutes:
    async def test_an_upload_is_transcribed_read_back_and_gives_its_words(
        self, engine, auth_client, video_factory, tone
    ):
        video = await upload(auth_client, video_factory, tone.read_bytes())
        url = f"/videos/{video['id']}"

        made = await auth_client.post(f"{url}/transcription")

        assert made.status_code == 200, made.text
        body = made.json()
        assert (body["status"], body["transcript"], body["language"]) == (
            "transcribed",
            WHISPER_PHRASE,
            WHISPER_LANGUAGE,
        )
        assert 0.99 < body["confidence"] <= 1.0  # each token of the phrase all but certain
        assert (await auth_client.get(f"{url}/transcription")).json() == body
        assert (await auth_client.get(url)).json()["transcribed"] is True
        vocabulary = await auth_client.get(f"{url}/vocabulary")
        assert vocabulary.status_code == 200, vocabulary.text
        # Every word once, so alphabetical; "a" is a stop-word.
        assert vocabulary.json()["words"] == [
            {"word": word, "count": 1, "known": None}
            for word in ("amigos", "cocinar", "hola", "vamos")
        ]

    @pytest.mark.parametrize(
        ("content", "detail"),
        [
            (b"not really a video\n" * 10, INVALID),
            (b"", INVALID),
            (png(), "has no audio to transcribe"),
        ],
        ids=["text", "empty", "image"],
    )
    async def test_an_upload_that_is_no_audio_is_the_documented_409(
        self, engine, auth_client, video_factory, content, detail
    ):
        video = await upload(auth_client, video_factory, content)
        url = f"/videos/{video['id']}"

        response = await auth_client.post(f"{url}/transcription")

        assert response.status_code == 409, response.text
        assert response.json()["detail"] == f"the video's media file {detail}"
        assert (await auth_client.get(f"{url}/transcription")).json()["status"] == (
            "not_transcribed"
        )

    @pytest.mark.parametrize(
        "language",
        ["spa", "yue"],
        ids=["iso-639-3", "listed-by-faster-whisper-but-not-in-the-model"],
    )
    async def test_a_language_the_model_lacks_is_detected_instead(
        self, engine, auth_client, video_factory, tone, language
    ):
        """The model detects WHISPER_LANGUAGE; faster-whisper lists "yue" for every multilingual
        model, but this one (as OpenAI's before large-v3) has no token for it."""
        assert f"<|{language}|>" not in [f"<|{code}|>" for code in LANGUAGES]
        video = await upload(auth_client, video_factory, tone.read_bytes(), language=language)

        made = await auth_client.post(f"/videos/{video['id']}/transcription")

        assert made.status_code == 200, made.text
        assert (made.json()["language"], made.json()["transcript"]) == (
            WHISPER_LANGUAGE,
            WHISPER_PHRASE,
        )


class Watched:
    """The real model, handed through `loader=`: notes what its `transcribe` returned and, as
    the service reads the segments, each one and the thread that read it."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.lazy: list[bool] = []
        self.info: Any = None
        self.segments: list[Any] = []
        self.threads: set[int] = set()
        self.exhausted = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)  # supported_languages, hf_tokenizer

    def transcribe(self, audio: str, **options: Any) -> tuple[Iterator[Any], Any]:
        segments, self.info = self.model.transcribe(audio, **options)
        self.lazy.append(inspect.isgenerator(segments))
        return self._read(segments), self.info

    def _read(self, segments: Iterator[Any]) -> Iterator[Any]:
        for segment in segments:
            self.threads.add(threading.get_ident())
            self.segments.append(segment)
            yield segment
        self.exhausted = True


def watched_service(model: Path) -> tuple[WhisperTranscriptionService, list[Watched]]:
    """A service loading `model` with the real loader, each loaded model watched."""
    loaded: list[Watched] = []

    def loader(name: str) -> Watched:
        loaded.append(Watched(load_faster_whisper(name)))
        return loaded[-1]

    return WhisperTranscriptionService(str(model), loader=loader), loaded


class TestTheService:
    async def test_the_lazy_segments_are_read_in_the_worker_thread_before_it_answers(
        self, whisper_model, tone
    ):
        service, loaded = watched_service(whisper_model)

        result = await service.transcribe(tone, WHISPER_LANGUAGE)

        (model,) = loaded
        assert model.lazy == [True]  # faster-whisper's segments are a generator...
        assert model.exhausted  # ...read to the end before the service answered...
        assert model.threads  # ...in a thread...
        assert threading.get_ident() not in model.threads  # ...that is not the event loop's
        assert [segment.text for segment in model.segments] == [f" {WHISPER_PHRASE}"]
        assert result.text == WHISPER_PHRASE

    @pytest.mark.parametrize("language", [WHISPER_LANGUAGE, None], ids=["given", "detected"])
    async def test_random_weights_give_a_well_formed_transcript_the_same_every_time(
        self, random_whisper_model, tone, language
    ):
        from faster_whisper.tokenizer import Tokenizer

        runs = []
        for _ in range(2):  # each run loads the model anew
            service, loaded = watched_service(random_whisper_model)
            result = await service.transcribe(tone, language)
            runs.append((result, loaded[0].info, loaded[0].segments))
        (result, info, segments), again = runs
        model = loaded[0]

        assert again == (result, info, segments)
        assert segments, "the seeded model says something"
        assert result.language == info.language
        if language is None:
            assert info.language in LANGUAGES
            assert 0.0 < info.language_probability <= 1.0
        else:
            assert (info.language, info.language_probability) == (language, 1)
        tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=info.language)
        starts = [segment.start for segment in segments]
        assert starts == sorted(starts)
        assert [segment.id for segment in segments] == list(range(1, len(segments) + 1))
        for segment in segments:
            assert isinstance(segment.text, str)
            assert isinstance(segment.avg_logprob, float)
            assert 0.0 <= segment.start <= segment.end <= WINDOW
            assert segment.text == tokenizer.decode(segment.tokens)
        assert result.text == " ".join(s.text.strip() for s in segments if s.text.strip())
        probabilities = [math.exp(segment.avg_logprob) for segment in segments]
        assert result.confidence == round(sum(probabilities) / len(probabilities), 4)
