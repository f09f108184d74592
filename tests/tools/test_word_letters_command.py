"""`python -m tools.word_letters` writes the word letters of the running Python's Unicode."""

from __future__ import annotations

import unicodedata

import pytest

from backend.services.word_letters import WORD_LETTERS
from tools.word_letters import is_word_letter, main


@pytest.mark.parametrize(
    ("char", "expected"),
    [("a", True), ("ß", True), ("²", True), ("A", False), ("1", False), ("_", False)],
)
def test_a_word_letter_is_a_lowercase_letter_or_a_number_not_a_digit(char, expected):
    assert is_word_letter(char) is expected


@pytest.mark.slow
def test_it_writes_a_module_whose_ranges_the_committed_data_covers(tmp_path, capsys):
    """A newer Unicode only ever adds word letters: what this Python writes is inside the
    committed data, which comes from the newest Python (tests/services/test_word_letters.py
    checks the rest)."""
    output = tmp_path / "word_letters.py"
    assert main(["--output", str(output)]) == 0
    assert capsys.readouterr().out == (f"wrote {output} (Unicode {unicodedata.unidata_version})\n")
    module: dict[str, object] = {}
    exec(compile(output.read_text(), str(output), "exec"), module)
    assert module["UNICODE_VERSION"] == unicodedata.unidata_version
    written = module["WORD_LETTERS"]
    assert isinstance(written, tuple)
    assert all(is_word_letter(chr(low)) and is_word_letter(chr(high)) for low, high in written)
    committed = [range(low, high + 1) for low, high in WORD_LETTERS]
    outside = [(low, high) for low, high in written
               if not any(low in r and high in r for r in committed)]  # fmt: skip
    assert outside == []
