"""Speech to text with Whisper (faster-whisper), loaded on first use and then reused."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from backend.services.errors import ServiceUnavailable, UnreadableMedia

# How every 503 of a server that cannot transcribe at all begins (clients may read it; so does
# tests/fuzz/hooks.py, for a run against a server without the engine).
ENGINE_UNAVAILABLE = "transcription is not available on this server"
INSTALL_HINT = (
    f"{ENGINE_UNAVAILABLE}: it needs the optional Whisper engine; "
    "install it with `python -m pip install -e '.[whisper]'` from the project's checkout "
    "(or `python -m pip install faster-whisper`)"
)


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    confidence: float


class TranscriptionService(Protocol):
    async def transcribe(self, media: Path, language: str | None) -> Transcript: ...


def load_faster_whisper(model: str) -> Any:
    """The real loader; imports faster-whisper only now, never at app import or start-up."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as error:
        raise ServiceUnavailable(INSTALL_HINT) from error
    try:
        return WhisperModel(model, device="cpu", compute_type="int8")
    except Exception as error:  # faster-whisper raises many kinds when weights are missing
        raise ServiceUnavailable(
            f"{ENGINE_UNAVAILABLE}: the Whisper model {model!r} could not be loaded: {error}"
        ) from error


class WhisperTranscriptionService:
    """Owns one model, loaded by `loader` on the first transcription.

    `loader` is the seam for tests: weights cannot be downloaded here, so tests hand in a
    stand-in model object and exercise the loading, reuse and mapping logic for real.
    """

    def __init__(self, model: str, loader: Callable[[str], Any] = load_faster_whisper) -> None:
        self.model_name = model
        self._loader = loader
        self._model: Any = None
        self._lock = threading.Lock()

    def _get_model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._loader(self.model_name)
            return self._model

    def _transcribe_blocking(self, media: Path, language: str | None) -> Transcript:
        model = self._get_model()
        # A language Whisper lacks (the API takes ISO 639-3 codes too) is detected instead.
        if language not in getattr(model, "supported_languages", [language]):
            language = None
        try:
            segments, info = model.transcribe(str(media), language=language)
            # Segments are decoded lazily: reading them is part of the attempt.
            return to_transcript(segments, info.language, info.language_probability)
        except ValueError as error:
            # What the decoder refuses (PyAV's InvalidDataError is a ValueError): an upload that
            # is no audio or video. The video's data, not the server, so no 500.
            raise UnreadableMedia(f"the video's media file cannot be decoded: {error}") from error

    async def transcribe(self, media: Path, language: str | None) -> Transcript:
        # Model loading and inference are CPU-bound: keep them off the event loop.
        return await asyncio.to_thread(self._transcribe_blocking, media, language)


def to_transcript(
    segments: Iterable[Any], language: str, language_probability: float
) -> Transcript:
    """Join segment texts; confidence is the mean per-segment probability (exp(avg_logprob))."""
    texts, probabilities = [], []
    for segment in segments:
        texts.append(segment.text.strip())
        probabilities.append(math.exp(segment.avg_logprob))
    confidence = sum(probabilities) / len(probabilities) if probabilities else language_probability
    return Transcript(
        text=" ".join(t for t in texts if t),
        language=language,
        confidence=round(min(max(confidence, 0.0), 1.0), 4),
    )
