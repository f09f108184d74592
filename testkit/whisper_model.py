"""A tiny Whisper model made here, offline: the real engine runs without downloading weights.

CTranslate2 (the engine under faster-whisper) describes a Whisper model as a `WhisperSpec` of
plain numpy arrays and saves it to a directory that `faster_whisper.WhisperModel(path)` loads;
faster-whisper reads the tokenizer from the `tokenizer.json` beside it. Both are built here from
a fixed seed, so the same call writes the same model and the model gives the same answers.

Two kinds, from one builder:
- random weights (`phrase=None`): what comes out is arbitrary, but fixed.
- weights that favour a phrase: every sublayer of the decoder writes nothing, so the next token
  depends only on the current one, and the embeddings and the output projection are set so that
  `<|startoftranscript|>` is followed by the phrase's language, `<|transcribe|>` by `<|0.00|>`,
  that by the phrase's tokens one after another, then `<|1.00|>` and `<|endoftext|>`: one segment
  from 0 to 1 s whose text is the phrase, whatever the audio, in the language detected.

The model is multilingual (its vocabulary is laid out as OpenAI's multilingual one: 51865
tokens, with the empty token CTranslate2 looks for), so language handling and detection run as
they do with a real one. Its text tokens beyond the byte-level alphabet and the phrase are
filler strings of letters (a BPE tokenizer decodes them; no merge ever makes them), which is
what the random model mostly says. About 15 MB on disk (float16 weights, mostly the embeddings
and the output projection of its 51865 tokens); building one takes about a second.

`python -m testkit.whisper_model DIR [--phrase TEXT] [--language CODE]` writes one from a
checkout (it needs the `whisper` extra): `WHISPER_MODEL=DIR python -m backend` then transcribes
uploads with it (README, "Transcription without downloading a model").
"""

from __future__ import annotations

import argparse
import fcntl
import itertools
import math
import os
import shutil
import string
import struct
import sys
import tempfile
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Whisper's language tokens, in the order of OpenAI's multilingual vocabulary.
LANGUAGES = (
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv",
    "it", "id", "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no",
    "th", "ur", "hr", "bg", "lt", "la", "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr",
    "az", "sl", "kn", "et", "mk", "br", "eu", "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw",
    "gl", "mr", "pa", "si", "km", "sn", "yo", "so", "af", "oc", "ka", "be", "tg", "sd", "gu",
    "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt", "sa", "lb", "my", "bo", "tl",
    "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su",
)  # fmt: skip
TEXT_TOKENS = 50257  # ids 0-50256: the byte-level alphabet, the phrase's pieces, fillers
VOCABULARY_SIZE = 51865  # as OpenAI's multilingual models (large-v3 adds a language)
TIMESTAMPS = 1501  # <|0.00|> to <|30.00|>, every 20 ms
SEGMENT_END = 1.0  # seconds: where the favoured phrase's segment ends
DEFAULT_PHRASE = "hola amigos vamos a cocinar"
DEFAULT_LANGUAGE = "es"
SEED = 24

WIDTH = 64  # d_model
HEADS = 4
ENCODER_LAYERS = 1
DECODER_LAYERS = 2
MELS = 80  # faster-whisper's FeatureExtractor default
AUDIO_POSITIONS = 1500  # 30 s of mel frames after the stride-2 convolution
TEXT_POSITIONS = 448


@dataclass(frozen=True)
class Vocabulary:
    """The token strings in id order, with the merges that make the phrase's words."""

    tokens: list[str]
    merges: list[tuple[str, str]]
    phrase_ids: list[int]

    def id(self, token: str) -> int:
        return self.tokens.index(token)


def special_tokens() -> list[str]:
    """Ids 50257 onwards, in Whisper's order."""
    return [
        "<|endoftext|>",
        "<|startoftranscript|>",
        *(f"<|{code}|>" for code in LANGUAGES),
        "<|translate|>",
        "<|transcribe|>",
        "<|startoflm|>",
        "<|startofprev|>",
        "<|nospeech|>",
        "<|notimestamps|>",
        *(f"<|{index * 0.02:.2f}|>" for index in range(TIMESTAMPS)),
    ]


def fillers() -> Iterator[str]:
    """Strings of lowercase letters, shortest first: text tokens no merge ever produces."""
    for length in itertools.count(2):
        for letters in itertools.product(string.ascii_lowercase, repeat=length):
            yield "".join(letters)


def build_vocabulary(phrase: str | None) -> Vocabulary:
    """Byte-level BPE tokens: one per byte, then each phrase word (with a leading space, as
    Whisper writes words) and the pieces its merges go through, then fillers."""
    from tokenizers import pre_tokenizers

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokens = list(alphabet)
    merges: list[tuple[str, str]] = []
    words: list[str] = []
    split = pre_tokenizers.ByteLevel(add_prefix_space=False).pre_tokenize_str
    for word in (phrase or "").split():
        # " hola" -> "Ġhola": the byte-level form the tokenizer stores.
        pieces = [piece for piece, _span in split(f" {word}")]
        if len(pieces) != 1:
            raise ValueError(f"{word!r} is not one word: give words of letters, spaced")
        (piece,) = pieces
        if piece in words:
            raise ValueError(f"the phrase repeats {word!r}: each word can have one successor")
        words.append(piece)
        for end in range(2, len(piece) + 1):
            if piece[:end] not in tokens:
                merges.append((piece[: end - 1], piece[end - 1]))
                tokens.append(piece[:end])
    known = set(tokens)
    filler = (token for token in fillers() if token not in known)
    tokens.extend(itertools.islice(filler, TEXT_TOKENS - 1 - len(tokens)))
    # OpenAI's multilingual vocabulary has an empty token, and CTranslate2 (4.8; older ones
    # go by the vocabulary's size) tells a multilingual model from an English-only one by it.
    tokens.append("")
    tokens.extend(special_tokens())
    assert len(tokens) == VOCABULARY_SIZE
    return Vocabulary(tokens, merges, [tokens.index(word) for word in words])


def tokenizer_json(vocabulary: Vocabulary) -> str:
    """The `tokenizer.json` faster-whisper reads: byte-level BPE, the specials as added tokens."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    ids = {token: index for index, token in enumerate(vocabulary.tokens)}
    tokenizer = Tokenizer(models.BPE(vocab=ids, merges=vocabulary.merges))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(
        [AddedToken(token, special=True) for token in vocabulary.tokens[TEXT_TOKENS:]]
    )
    return str(tokenizer.to_str())


def successors(vocabulary: Vocabulary, language: str) -> list[tuple[int, int]]:
    """(token, the token that must follow it) along the favoured path."""
    segment_end = vocabulary.id(f"<|{SEGMENT_END:.2f}|>")
    path = [vocabulary.id("<|0.00|>"), *vocabulary.phrase_ids, segment_end]
    return [
        (vocabulary.id("<|startoftranscript|>"), vocabulary.id(f"<|{language}|>")),
        (vocabulary.id("<|transcribe|>"), path[0]),
        *itertools.pairwise(path),
        (segment_end, vocabulary.id("<|endoftext|>")),
    ]


def build_spec(vocabulary: Vocabulary, language: str | None) -> Any:
    """The WhisperSpec with seeded random weights; with a `language`, the favoured path set."""
    import numpy as np
    from ctranslate2.specs import whisper_spec

    rng = np.random.default_rng(SEED)

    def random(*shape: int, scale: float = 0.02) -> Any:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def zeros(*shape: int) -> Any:
        return np.zeros(shape, dtype=np.float32)

    def layer_norm(norm: Any) -> None:
        norm.gamma = np.ones(WIDTH, dtype=np.float32)
        norm.beta = zeros(WIDTH)

    def linear(layer: Any, outputs: int, inputs: int) -> None:
        layer.weight = random(outputs, inputs)
        layer.bias = zeros(outputs)

    def attention(spec: Any, self_attention: bool) -> None:
        layer_norm(spec.layer_norm)
        if self_attention:
            linear(spec.linear[0], 3 * WIDTH, WIDTH)  # queries, keys and values fused
        else:
            linear(spec.linear[0], WIDTH, WIDTH)  # queries from the text
            linear(spec.linear[1], 2 * WIDTH, WIDTH)  # keys and values from the audio
        linear(spec.linear[-1], WIDTH, WIDTH)

    def feed_forward(spec: Any) -> None:
        layer_norm(spec.layer_norm)
        linear(spec.linear_0, 4 * WIDTH, WIDTH)
        linear(spec.linear_1, WIDTH, 4 * WIDTH)

    spec = whisper_spec.WhisperSpec(ENCODER_LAYERS, HEADS, DECODER_LAYERS, HEADS)
    encoder, decoder = spec.encoder, spec.decoder
    encoder.conv1.weight, encoder.conv1.bias = random(WIDTH, MELS, 3, scale=0.2), zeros(WIDTH)
    encoder.conv2.weight, encoder.conv2.bias = random(WIDTH, WIDTH, 3, scale=0.2), zeros(WIDTH)
    encoder.position_encodings.encodings = random(AUDIO_POSITIONS, WIDTH)
    layer_norm(encoder.layer_norm)
    for layer in encoder.layer:
        attention(layer.self_attention, self_attention=True)
        feed_forward(layer.ffn)
    decoder.embeddings.weight = random(VOCABULARY_SIZE, WIDTH, scale=1.0)
    decoder.position_encodings.encodings = random(TEXT_POSITIONS, WIDTH)
    layer_norm(decoder.layer_norm)
    for layer in decoder.layer:
        attention(layer.self_attention, self_attention=True)
        attention(layer.attention, self_attention=False)
        feed_forward(layer.ffn)
    # Large enough that each step is a confident choice, as a trained model's mostly are.
    decoder.projection.weight = random(VOCABULARY_SIZE, WIDTH, scale=1.0)
    if language is not None:
        favour(decoder, successors(vocabulary, language))
    spec.config.suppress_ids = []
    spec.config.suppress_ids_begin = [vocabulary.id("Ġ"), vocabulary.id("<|endoftext|>")]
    spec.config.lang_ids = [vocabulary.id(f"<|{code}|>") for code in LANGUAGES]
    spec.config.alignment_heads = [(DECODER_LAYERS - 1, head) for head in range(HEADS)]
    spec.register_vocabulary(vocabulary.tokens)
    return spec


def favour(decoder: Any, pairs: Sequence[tuple[int, int]]) -> None:
    """Make each token of `pairs` predict its successor, whatever the audio and the position.

    With the decoder's sublayers writing nothing, its output is the layer norm of the token's
    embedding plus a small position encoding. Each source token gets its own axis of the
    embedding (a large one-hot), and its successor's projection row is that one-hot's layer
    norm, scaled: the successor's logit is then far above every other.
    """
    import numpy as np

    if len(pairs) >= WIDTH:
        raise ValueError(f"a phrase of at most {WIDTH - 5} words fits a {WIDTH}-wide model")
    for layer in decoder.layer:
        for sublayer in (layer.self_attention.linear[-1], layer.attention.linear[-1]):
            sublayer.weight = np.zeros_like(sublayer.weight)
        layer.ffn.linear_1.weight = np.zeros_like(layer.ffn.linear_1.weight)
        layer.ffn.linear_1.bias = np.zeros_like(layer.ffn.linear_1.bias)
    for axis, (source, target) in enumerate(pairs):
        one_hot = np.zeros(WIDTH, dtype=np.float32)
        one_hot[axis] = 1.0
        decoder.embeddings.weight[source] = one_hot * 10.0
        normalized = (one_hot - one_hot.mean()) / one_hot.std()
        decoder.projection.weight[target] = normalized


def build_whisper_model(
    directory: Path, phrase: str | None = DEFAULT_PHRASE, language: str = DEFAULT_LANGUAGE
) -> Path:
    """Write the model to `directory` (made; must not exist yet) and return it.

    Written beside it first and moved in whole, so a build that is interrupted leaves no half
    model where a reader would take it for a whole one.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is none of Whisper's: {' '.join(LANGUAGES)}")
    vocabulary = build_vocabulary(phrase)
    spec = build_spec(vocabulary, language if phrase else None)
    spec.validate()
    spec.optimize(quantization="float16")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        spec.save(str(staging))
        (staging / "tokenizer.json").write_text(tokenizer_json(vocabulary), encoding="utf-8")
        os.rename(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def shared_whisper_model(parent: Path, name: str, phrase: str | None = DEFAULT_PHRASE) -> Path:
    """`parent/name`, built by the first process that asks for it and reused by the others
    (xdist's workers share the run directory): they wait for the build under a file lock."""
    directory = parent / name
    with open(parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not directory.is_dir():
            build_whisper_model(directory, phrase)
    return directory


def write_tone(path: Path, seconds: float = 1.0, rate: int = 16_000) -> Path:
    """A 440 Hz tone as a 16-bit mono WAV, Whisper's sample rate: audio any decoder reads."""
    samples = (
        round(8000 * math.sin(2 * math.pi * 440 * index / rate))
        for index in range(round(seconds * rate))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m testkit.whisper_model",
        description="Write a tiny Whisper model (random weights but for a favoured phrase) "
        "that faster-whisper loads: WHISPER_MODEL=DIR python -m backend transcribes with it.",
    )
    parser.add_argument("directory", type=Path, help="where to write it (must not exist)")
    parser.add_argument(
        "--phrase", default=DEFAULT_PHRASE, help="what it transcribes any audio as (distinct words)"
    )
    parser.add_argument("--language", default=DEFAULT_LANGUAGE, help="the language it detects")
    parser.add_argument(
        "--random", action="store_true", help="random weights only: arbitrary but fixed text"
    )
    parser.add_argument("--wav", type=Path, help="also write a 1 s tone to this file, to upload")
    args = parser.parse_args(argv)
    if args.directory.exists():
        parser.error(f"{args.directory} exists: name a new directory (or remove that one)")
    try:
        build_whisper_model(args.directory, None if args.random else args.phrase, args.language)
    except ImportError as error:
        parser.error(
            f"{error.name} is missing: install the engine with "
            "`python -m pip install -e '.[whisper]'` from the checkout"
        )
    except ValueError as error:
        parser.error(str(error))
    print(f"Wrote a tiny Whisper model to {args.directory}")
    if args.wav:
        print(f"Wrote a 1 s tone to {write_tone(args.wav)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
