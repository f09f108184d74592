"""The frozen word letters (backend/services/word_letters.py) against this Python's Unicode.

The word rule used to be Python's `[^\\W\\d_]`, lowercased; the data freezes that set so the
schema's pattern is the same on every Python. Nothing the old rule accepted may be missing
from it, and nothing else may be in it.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from itertools import pairwise

from backend.services.word_letters import UNICODE_VERSION, WORD_LETTERS

REGENERATE = "regenerate it: python3.NN scripts/word_letters.py, with the newest Python"
# The old rule, character by character: what `tokenize` found in a word and `is_word` allowed.
OLD_LETTER = re.compile(r"[^\W\d_]")


def frozen() -> set[int]:
    return {point for low, high in WORD_LETTERS for point in range(low, high + 1)}


def version(text: str) -> tuple[int, ...]:
    return tuple(map(int, text.split(".")))


def test_every_letter_the_old_rule_accepted_is_frozen():
    letters = frozen()
    missing = [
        f"U+{point:04X}"
        for point in range(sys.maxunicode + 1)
        if point not in letters and OLD_LETTER.match(char := chr(point)) and char.lower() == char
    ]
    assert missing == [], (
        f"Unicode {unicodedata.unidata_version} has word letters the data (Unicode "
        f"{UNICODE_VERSION}) lacks: {missing[:10]}; {REGENERATE}"
    )


def test_the_data_holds_only_word_letters():
    """Checked for the characters this Python knows (the data may come from a newer Unicode)."""
    wrong = [
        f"U+{point:04X} {unicodedata.category(chr(point))}"
        for point in sorted(frozen())
        if unicodedata.category(chr(point)) != "Cn"
        and not (OLD_LETTER.match(char := chr(point)) and char.lower() == char)
    ]
    assert wrong == []


def test_the_data_is_from_a_unicode_at_least_as_new_as_this_pythons():
    assert version(UNICODE_VERSION) >= version(unicodedata.unidata_version), REGENERATE


def test_the_ranges_are_sorted_and_apart():
    """Adjacent ranges would be one; overlapping or unsorted ones mean the file was edited."""
    assert all(low <= high for low, high in WORD_LETTERS)
    assert all(high + 1 < low for (_, high), (low, _) in pairwise(WORD_LETTERS))
