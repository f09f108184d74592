"""The schema's patterns mean to an ECMA-262 engine what they mean to the server.

The patterns are what clients and schemathesis see; the server checks the same patterns with
Python's `re` (the word rule in `is_word`, the email in its validator), and the two dialects
differ at the edges (`$` before a newline, `\\s`, astral characters). Here they are compared
with jsonschema-rs (the validator schemathesis uses; the everyday suite has no ECMA engine):
words on every code point, every stop-word and the length limits; emails on their edges.
"""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest

jsonschema_rs = pytest.importorskip("jsonschema_rs")

from backend.services.vocabulary import (  # noqa: E402
    MAX_WORD_LENGTH,
    MIN_WORD_LENGTH,
    STOP_WORDS,
    WORD_PATTERN,
    is_word,
)
from backend.users import EMAIL_PATTERN, MAX_EMAIL_LENGTH  # noqa: E402

VALIDATOR = jsonschema_rs.validator_for({"type": "string", "pattern": WORD_PATTERN})


def disagreements(candidates: list[str]) -> list[str]:
    return [word for word in candidates if VALIDATOR.is_valid(word) != is_word(word)]


def test_every_code_point_is_judged_alike():
    # Surrogates cannot be sent (they are not characters in UTF-8).
    characters = [chr(p) for p in range(sys.maxunicode + 1) if not 0xD800 <= p <= 0xDFFF]
    words = [f"ab{char}" for char in characters]

    assert disagreements(words) == []
    # Not vacuous: lowercase letters of every script and numbers that are no digits are word
    # letters, capitals and digits are not.
    accepted = {unicodedata.category(word[-1]) for word in words if is_word(word)}
    # `Lu`: capitals with no lowercase; `Cn`: letters of a Unicode newer than this Python's.
    assert accepted - {"Cn"} == {"Ll", "Lm", "Lo", "Lu", "Nl", "No"}
    assert sum(map(is_word, words)) > 130_000
    assert not any(is_word(f"ab{char}") for char in "AZÑΣЖ0٣_")


def test_stop_words_and_length_limits_are_judged_alike():
    words = [
        *STOP_WORDS,
        *(word.upper() for word in STOP_WORDS),
        *(f"{word}s" for word in STOP_WORDS),
        *(f"x{word}" for word in STOP_WORDS),
        "a" * (MIN_WORD_LENGTH - 1),
        "a" * MIN_WORD_LENGTH,
        "a" * MAX_WORD_LENGTH,
        "a" * (MAX_WORD_LENGTH + 1),
        "\U0001d51e\U0001d51f\U0001d520",  # astral letters count one each, in both engines
        "コーヒー",
        "ab²c",
        "gato\n",  # Python's `$` matches before a final newline
    ]

    assert disagreements(words) == []
    assert not any(is_word(word) for word in STOP_WORDS)
    assert all(is_word(f"{word}s") for word in STOP_WORDS if f"{word}s" not in STOP_WORDS)


def test_emails_are_judged_alike():
    validator = jsonschema_rs.validator_for({"type": "string", "pattern": EMAIL_PATTERN})
    server = re.compile(EMAIL_PATTERN)
    longest = f"{'a' * (MAX_EMAIL_LENGTH - 12)}@example.com"
    emails = [
        *("ana@example.com", "Ana <ana@example.com>", '"A <b>" <ana@example.com>', "<a@b.co>"),
        *(" ana@example.com ", "ana@example.com\n", "\u3000ana@example.com\u2029"),
        *("ana@example.com\n\n", "ana@example.com\ufeff", "ana@exa\x1cmple.com"),
        *("ana@example", "ana@@example.com", "ana@.com", "ana@example.com>", "a b@c.de"),
        *(longest, f"a{longest}", f"Ana <{longest}>", f"Ana <a{longest}>", "ü@bücher.de"),
    ]

    assert [e for e in emails if validator.is_valid(e) != bool(server.fullmatch(e))] == []
    assert validator.is_valid(longest)
    assert not validator.is_valid(f"a{longest}")
