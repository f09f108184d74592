"""Turning a transcript into vocabulary: deterministic, so games and tests can rely on it."""

from __future__ import annotations

import re
from collections import Counter

MIN_WORD_LENGTH = 3
MAX_WORD_LENGTH = 64

# Letters only (any script); digits, underscores and punctuation split words.
_WORD = re.compile(r"[^\W\d_]+")

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


def tokenize(text: str) -> list[str]:
    """Lowercased words of `text`, stop-words and too-short or too-long words left out."""
    return [
        word
        for word in (match.group().lower() for match in _WORD.finditer(text))
        if MIN_WORD_LENGTH <= len(word) <= MAX_WORD_LENGTH and word not in STOP_WORDS
    ]


def word_counts(text: str) -> list[tuple[str, int]]:
    """Words with their counts, most frequent first, ties alphabetical (stable across runs)."""
    counts = Counter(tokenize(text))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def is_word(candidate: str) -> bool:
    """True when `candidate` is something `tokenize` could have produced."""
    return tokenize(candidate) == [candidate]
