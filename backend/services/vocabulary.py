"""Turning a transcript into vocabulary: deterministic, so games and tests can rely on it."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from backend.services.word_letters import WORD_LETTERS

MIN_WORD_LENGTH = 3
MAX_WORD_LENGTH = 64

# Where a transcript's words are: runs of letters and of numbers other than decimal digits, in
# any case (digits, underscores and punctuation split words). Each run, lowercased, is a word if
# `is_word` says so.
_RUNS = re.compile(r"[^\W\d_]+")

# Function words that teach nothing on their own. Small on purpose: a word list per language
# belongs in a data file once there is more than a demo's worth.
STOP_WORDS: frozenset[str] = frozenset(
    """
    the and for are but not you all any can had her was one our out his has how its who
    did yes she him they them this that with have from what were when your will would there
    their been than then into also just some these those more very
    los las una uno unos unas del por con para que como pero más sus les este esta
    des une est pas pour qui dans sur avec mais sont ces
    der die das und ist nicht ein eine mit für auf den dem sich von
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


def _escaped(point: int) -> str:
    """A code point as both ECMA-262 (with the `u` flag JSON Schema asks for) and Python's `re`
    read it: ASCII letters as they are, the rest of the BMP as `\\uXXXX`, astral ones literally
    (the two engines spell their escapes differently)."""
    char = chr(point)
    if char.isascii() and char.isalpha():
        return char
    return f"\\u{point:04X}" if point <= 0xFFFF else char


def _word_pattern() -> str:
    """The word rule as a regular expression that means the same to clients (the OpenAPI
    document) and to the server: the stop-words left out by a lookahead, then 3 to 64 word
    letters (backend/services/word_letters.py)."""
    letters = "".join(
        _escaped(low) if low == high else f"{_escaped(low)}-{_escaped(high)}"
        for low, high in WORD_LETTERS
    )
    stop_words = "|".join("".join(_escaped(ord(c)) for c in word) for word in sorted(STOP_WORDS))
    return rf"^(?!(?:{stop_words})$)[{letters}]{{{MIN_WORD_LENGTH},{MAX_WORD_LENGTH}}}$"


WORD_PATTERN = _word_pattern()
WORD_RULE = (
    f"a vocabulary word: {MIN_WORD_LENGTH} to {MAX_WORD_LENGTH} lowercase letters of any script "
    "(numbers such as ² count as letters, digits 0-9 of any script do not), not a stop-word"
)


@cache
def _word() -> re.Pattern[str]:
    return re.compile(WORD_PATTERN)


def is_word(candidate: str) -> bool:
    """The word rule, by the same pattern the schema shows clients (`fullmatch`: Python's `$`
    also matches before a final newline, ECMA-262's does not)."""
    return _word().fullmatch(candidate) is not None


def tokenize(text: str) -> list[str]:
    """The words of `text`, lowercased, stop-words and anything else `is_word` refuses left out."""
    return [word for word in map(_lowercase, _RUNS.findall(text)) if is_word(word)]


def _lowercase(run: str) -> str:
    # The dotted capital I is the one letter `str.lower()` makes two characters (an `i` and a
    # combining dot, which is no letter): as in Turkish, it is an `i`.
    return run.replace("\u0130", "i").lower()


def word_counts(text: str) -> list[tuple[str, int]]:
    """Words with their counts, most frequent first, ties alphabetical (stable across runs)."""
    counts = Counter(tokenize(text))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
