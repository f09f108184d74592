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
        # A language the model lacks (the API takes ISO 639-3 codes too) is detected instead.
        if not speaks(model, language):
            language = None
        # faster-whisper decodes the whole file (with PyAV) before it returns, so what the media
        # can make go wrong goes wrong here. It is the video's data, not the server: no 500.
        try:
            segments, info = model.transcribe(str(media), language=language)
        except ValueError as error:
            # PyAV's InvalidDataError is a ValueError: bytes that are no audio or video. Its
            # text names the file, whose path on the server is not the client's business.
            reason = getattr(error, "strerror", None) or "not audio or video"
            raise UnreadableMedia(f"the video's media file cannot be decoded: {reason}") from error
        except IndexError as error:
            # PyAV opened it, but found no audio stream to decode (an image, a silent video).
            raise UnreadableMedia("the video's media file has no audio to transcribe") from error
        # The model runs as the segments are read: they are read here, in the worker thread,
        # never on the event loop. An error then is the engine's (a 500), not the upload's.
        return to_transcript(segments, info.language, info.language_probability)

    async def transcribe(self, media: Path, language: str | None) -> Transcript:
        # Model loading and inference are CPU-bound: keep them off the event loop.
        return await asyncio.to_thread(self._transcribe_blocking, media, language)


def speaks(model: Any, language: str | None) -> bool:
    """Whether `model` can be told that the audio is in `language`.

    faster-whisper lists the same codes for every multilingual model, but a model knows only
    those it has a token for: told Cantonese ("yue", which only large-v3 has), a tiny or base
    model transcribes with no language at all, and faster-whisper reports "yue" as if it had.
    """
    if language not in getattr(model, "supported_languages", [language]):
        return False
    tokenizer = getattr(model, "hf_tokenizer", None)  # a stand-in model may have none
    return tokenizer is None or tokenizer.token_to_id(f"<|{language}|>") is not None


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
