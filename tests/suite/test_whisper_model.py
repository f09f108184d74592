"""The tiny Whisper models testkit/whisper_model.py builds offline for the `real_services`
tests: refused with the reason when they cannot be made, the same files on every build."""

from __future__ import annotations

import pytest

from testkit.whisper_model import build_whisper_model

pytestmark = pytest.mark.real_services


class TestTheTinyModel:
    @pytest.mark.parametrize(
        ("phrase", "language", "error"),
        [
            ("hola hola", "es", "the phrase repeats 'hola'"),
            ("hola, amigos", "es", "'hola,' is not one word"),
            (
                " ".join(f"w{a}{b}" for a in "abc" for b in "abcdefghijklmnopqrst"),
                "es",
                "at most 59",
            ),
            ("hola", "spa", "language 'spa' is none of Whisper's"),
        ],
        ids=["repeated-word", "punctuation", "too-long", "unknown-language"],
    )
    def test_a_model_that_cannot_be_made_is_refused_saying_why(
        self, tmp_path, phrase, language, error
    ):
        with pytest.raises(ValueError, match=error):
            build_whisper_model(tmp_path / "model", phrase, language)

        assert list(tmp_path.iterdir()) == []  # nothing half-written left behind

    @pytest.mark.slow
    def test_the_model_is_the_same_file_for_file_on_every_build(self, tmp_path):
        first = build_whisper_model(tmp_path / "first")
        second = build_whisper_model(tmp_path / "second")

        files = sorted(path.name for path in first.iterdir())
        assert files == ["config.json", "model.bin", "tokenizer.json", "vocabulary.json"]
        assert sorted(path.name for path in second.iterdir()) == files
        for name in files:
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
