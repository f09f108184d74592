"""WhisperTranscriptionService with a stand-in model handed in through `loader=`.

Whisper weights cannot be downloaded here, so the model object is ours; the loading, reuse,
threading and result mapping are the service's real code.
"""

from __future__ import annotations

import asyncio
import math
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from backend.services.errors import ServiceUnavailable, UnreadableMedia
from backend.services.transcription import (
    INSTALL_HINT,
    Transcript,
    WhisperTranscriptionService,
    load_faster_whisper,
    to_transcript,
)

MEDIA = Path("/media/user/clip.mp4")


@dataclass(frozen=True)
class Segment:
    text: str
    avg_logprob: float


@dataclass(frozen=True)
class Info:
    language: str
    language_probability: float


@dataclass
class StandInModel:
    """Answers like faster-whisper's WhisperModel.transcribe: (segments, info)."""

    segments: list[Segment]
    info: Info = Info("es", 0.97)
    calls: list[tuple[str, str | None]] = field(default_factory=list)

    def transcribe(self, audio: str, language: str | None = None) -> tuple[Any, Info]:
        self.calls.append((audio, language))
        # faster-whisper yields segments lazily; a generator keeps that honest.
        return (segment for segment in self.segments), self.info


class InvalidDataError(ValueError):
    """What faster-whisper's decoder (PyAV) raises for bytes that are no audio or video: an
    `av.error.InvalidDataError`, a ValueError whose `strerror` says why and whose text names the
    file (test_transcription_real.py shows it for real)."""

    def __init__(self, path: str) -> None:
        self.strerror = "Invalid data found when processing input"
        super().__init__(1094995529, self.strerror, path)


@dataclass
class UndecodableModel(StandInModel):
    """A model that fails: at once, as faster-whisper does on media it cannot decode (it decodes
    the whole file before it returns), or `lazily`, while its segments are read (inference)."""

    lazily: bool = False
    error: Exception | None = None

    def transcribe(self, audio: str, language: str | None = None) -> tuple[Any, Info]:
        error = self.error or InvalidDataError(audio)
        if not self.lazily:
            raise error

        def segments() -> Any:
            yield from ()  # a generator: nothing happens until it is read
            raise error

        return segments(), self.info


@dataclass
class MultilingualModel(StandInModel):
    """faster-whisper's `supported_languages`: the codes Whisper knows (two-letter ones)."""

    supported_languages: list[str] = field(default_factory=lambda: ["en", "es", "fr"])


class CountingLoader:
    """A `loader=` that records which model names it was asked for."""

    def __init__(self, model: StandInModel) -> None:
        self.model = model
        self.names: list[str] = []

    def __call__(self, name: str) -> StandInModel:
        self.names.append(name)
        return self.model


def service_with(model: StandInModel) -> tuple[WhisperTranscriptionService, CountingLoader]:
    loader = CountingLoader(model)
    return WhisperTranscriptionService("small", loader=loader), loader


class TestLoading:
    def test_the_model_is_not_loaded_at_construction(self):
        _service, loader = service_with(StandInModel([]))
        assert loader.names == []

    async def test_loaded_once_on_first_use_and_reused(self):
        model = StandInModel([Segment("Hola", math.log(0.9))])
        service, loader = service_with(model)

        first = await service.transcribe(MEDIA, "es")
        second = await service.transcribe(Path("/other.mp4"), None)

        assert loader.names == ["small"]
        assert first == second == Transcript("Hola", "es", 0.9)
        assert model.calls == [(str(MEDIA), "es"), ("/other.mp4", None)]

    async def test_a_failed_load_is_retried_on_the_next_request(self):
        """A transient failure (weights still downloading) must not break the service for good."""
        model = StandInModel([Segment("ok", 0.0)])
        attempts: list[str] = []

        def flaky(name: str) -> StandInModel:
            attempts.append(name)
            if len(attempts) == 1:
                raise ServiceUnavailable("weights not there yet")
            return model

        service = WhisperTranscriptionService("tiny", loader=flaky)

        with pytest.raises(ServiceUnavailable, match="weights not there yet"):
            await service.transcribe(MEDIA, "en")
        result = await service.transcribe(MEDIA, "en")

        assert attempts == ["tiny", "tiny"]
        assert result.text == "ok"

    async def test_loading_runs_off_the_event_loop(self):
        """The loop keeps serving while the model loads; the loader waits for the loop's signal."""
        started, release = threading.Event(), threading.Event()
        model = StandInModel([Segment("done", 0.0)])

        def slow_loader(_name: str) -> StandInModel:
            started.set()
            # If transcribe() ran on the loop, the loop could never set `release`: timeout.
            if not release.wait(timeout=5):
                raise AssertionError("the event loop was blocked while the model loaded")
            return model

        service = WhisperTranscriptionService("tiny", loader=slow_loader)
        task = asyncio.create_task(service.transcribe(MEDIA, "en"))
        assert await asyncio.to_thread(started.wait, 5)
        release.set()

        assert (await task).text == "done"


class TestToTranscript:
    def test_joins_stripped_texts_and_averages_segment_probabilities(self):
        segments = [
            Segment("  Hola amigos. ", math.log(0.8)),
            Segment("Hoy cocinamos.", math.log(0.6)),
        ]

        result = to_transcript(segments, "es", 0.99)

        assert result == Transcript("Hola amigos. Hoy cocinamos.", "es", 0.7)

    def test_blank_segments_add_no_extra_spaces_but_count_for_confidence(self):
        segments = [
            Segment("uno", math.log(1.0)),
            Segment("   ", math.log(0.5)),
            Segment("dos", 0.0),
        ]

        result = to_transcript(segments, "es", 0.99)

        assert result.text == "uno dos"
        assert result.confidence == round((1.0 + 0.5 + 1.0) / 3, 4)

    def test_no_segments_falls_back_to_the_language_probability(self):
        result = to_transcript([], "fr", 0.4321)
        assert result == Transcript("", "fr", 0.4321)

    @pytest.mark.parametrize(
        ("segments", "language_probability", "expected"),
        [
            ([Segment("a", 0.5)], 0.9, 1.0),  # exp(0.5) > 1
            ([], 1.2, 1.0),
            ([], -0.1, 0.0),
            ([Segment("a", -1000.0)], 0.9, 0.0),
        ],
        ids=["positive-logprob", "probability-above-one", "negative-probability", "underflow"],
    )
    def test_confidence_is_clamped_to_0_1(self, segments, language_probability, expected):
        assert to_transcript(segments, "en", language_probability).confidence == expected

    def test_confidence_is_rounded_to_four_places(self):
        result = to_transcript([Segment("a", math.log(1 / 3))], "en", 0.5)
        assert result.confidence == 0.3333

    async def test_the_service_maps_the_models_answer(self):
        model = StandInModel(
            [Segment(" Bonjour ", math.log(0.5)), Segment("tout le monde", math.log(0.7))],
            Info("fr", 0.88),
        )
        service, _loader = service_with(model)

        result = await service.transcribe(MEDIA, None)

        assert result == Transcript("Bonjour tout le monde", "fr", 0.6)


class TestWhatTheEngineCannotDo:
    async def test_a_file_that_is_no_media_is_unreadable_not_a_crash(self):
        service, _loader = service_with(UndecodableModel([]))

        with pytest.raises(UnreadableMedia) as raised:
            await service.transcribe(MEDIA, "es")

        assert str(raised.value) == (
            "the video's media file cannot be decoded: Invalid data found when processing input"
        )  # and not where the server keeps it

    async def test_a_decoding_error_without_a_reason_says_what_it_means(self):
        service, _loader = service_with(UndecodableModel([], error=ValueError(str(MEDIA))))

        with pytest.raises(UnreadableMedia) as raised:
            await service.transcribe(MEDIA, "es")

        assert str(raised.value).endswith("cannot be decoded: not audio or video")

    async def test_media_without_audio_is_unreadable_not_a_crash(self):
        """PyAV opens an image or a silent video, then finds no audio stream: IndexError."""
        model = UndecodableModel([], error=IndexError("tuple index out of range"))
        service, _loader = service_with(model)

        with pytest.raises(UnreadableMedia, match="has no audio to transcribe"):
            await service.transcribe(MEDIA, "es")

    async def test_an_error_while_the_segments_are_read_is_the_engines(self):
        """The file was decoded before the segments are read: what fails then is no 409."""
        service, _loader = service_with(UndecodableModel([], lazily=True))

        with pytest.raises(InvalidDataError):
            await service.transcribe(MEDIA, "es")

    @pytest.mark.parametrize(("language", "asked"), [("es", "es"), ("spa", None), (None, None)])
    async def test_a_language_whisper_lacks_is_detected_instead(self, language, asked):
        """The API takes ISO 639-3 codes (`spa`); Whisper would refuse them (a ValueError)."""
        model = MultilingualModel([Segment("hola", math.log(0.9))])
        service, _loader = service_with(model)

        await service.transcribe(MEDIA, language)

        assert model.calls == [(str(MEDIA), asked)]


@pytest.fixture
def no_faster_whisper() -> Iterator[None]:
    """faster-whisper as a machine without the extra has it, installed here or not: a None in
    `sys.modules` makes its import fail (ModuleNotFoundError), as a missing module does.

    Undone at this fixture's own teardown, not by the shared `monkeypatch` (which an earlier
    autouse fixture, the network guard, may hold until after the engine guard has looked)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "faster_whisper", None)
        yield


@pytest.mark.usefixtures("no_faster_whisper")
class TestWithoutFasterWhisper:
    def test_the_default_loader_says_how_to_install_it(self):
        with pytest.raises(ServiceUnavailable) as raised:
            load_faster_whisper("tiny")

        assert raised.value.detail == INSTALL_HINT
        assert "python -m pip install -e '.[whisper]'" in raised.value.detail

    async def test_the_service_reports_it_as_unavailable(self):
        service = WhisperTranscriptionService("tiny")

        with pytest.raises(ServiceUnavailable, match=r"pip install -e '\.\[whisper\]'"):
            await service.transcribe(MEDIA, "en")
