"""The frozen word letters (backend/services/word_letters.py) against this Python's Unicode.

The word rule used to be Python's `[^\\W\\d_]`, lowercased; the data freezes that set so the
schema's pattern is the same on every Python. Nothing the old rule accepted may be missing
from it, and nothing else may be in it.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache
from itertools import pairwise

from backend.services.word_letters import UNICODE_VERSION, WORD_LETTERS

REGENERATE = "regenerate it: python3.NN -m tools.word_letters, with the newest Python"
# The old rule, character by character: what `tokenize` found in a word and `is_word` allowed.
OLD_LETTER = re.compile(r"[^\W\d_]")


@cache
def frozen() -> frozenset[int]:
    return frozenset(point for low, high in WORD_LETTERS for point in range(low, high + 1))


@cache
def old_rule_letters() -> frozenset[int]:
    """Every code point the old rule took for a word letter, by this Python's Unicode: one
    regex pass over all of them (a `match` per code point took twice as long)."""
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    return frozenset(
        found.start()
        for found in OLD_LETTER.finditer(everything)
        if found.group().lower() == found.group()
    )


def version(text: str) -> tuple[int, ...]:
    return tuple(map(int, text.split(".")))


def test_every_letter_the_old_rule_accepted_is_frozen():
    missing = [f"U+{point:04X}" for point in sorted(old_rule_letters() - frozen())]
    assert missing == [], (
        f"Unicode {unicodedata.unidata_version} has word letters the data (Unicode "
        f"{UNICODE_VERSION}) lacks: {missing[:10]}; {REGENERATE}"
    )


def test_the_data_holds_only_word_letters():
    """Checked for the characters this Python knows (the data may come from a newer Unicode)."""
    wrong = [
        f"U+{point:04X} {unicodedata.category(chr(point))}"
        for point in sorted(frozen() - old_rule_letters())
        if unicodedata.category(chr(point)) != "Cn"
    ]
    assert wrong == []


def test_the_data_is_from_a_unicode_at_least_as_new_as_this_pythons():
    assert version(UNICODE_VERSION) >= version(unicodedata.unidata_version), REGENERATE


def test_the_ranges_are_sorted_and_apart():
    """Adjacent ranges would be one; overlapping or unsorted ones mean the file was edited."""
    assert all(low <= high for low, high in WORD_LETTERS)
    assert all(high + 1 < low for (_, high), (low, _) in pairwise(WORD_LETTERS))
