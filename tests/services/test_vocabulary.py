"""The tokenizer: what counts as a vocabulary word, and how a transcript's words are ranked."""

from __future__ import annotations

import pytest

from backend.services.vocabulary import MAX_WORD_LENGTH, is_word, tokenize, word_counts


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("Hola AMIGOS", ["hola", "amigos"], id="lowercased"),
        pytest.param("La canción, él y über-straße", ["canción", "über", "straße"], id="accents"),
        pytest.param("Привет, мир!", ["привет", "мир"], id="other-scripts"),
        pytest.param("gato123perro", ["gato", "perro"], id="digits-split"),
        pytest.param("casa_blanca", ["casa", "blanca"], id="underscores-split"),
        pytest.param("¿Qué? ¡Sí! día...noche", ["qué", "día", "noche"], id="punctuation-split"),
        pytest.param("the cat and the dog", ["cat", "dog"], id="stop-words-out"),
        pytest.param("Los gatos con una mesa", ["gatos", "mesa"], id="spanish-stop-words-out"),
        pytest.param("a ab abc", ["abc"], id="short-words-out"),
        pytest.param("2024 — 42!", [], id="no-letters"),
        pytest.param("", [], id="empty"),
    ],
)
def test_tokenize(text, words):
    assert tokenize(text) == words


def test_tokenize_leaves_out_words_longer_than_a_column_can_hold():
    longest = "a" * MAX_WORD_LENGTH
    assert tokenize(f"{longest} {longest}b") == [longest]


def test_tokenize_keeps_repeats_in_order():
    assert tokenize("perro gato perro") == ["perro", "gato", "perro"]


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        pytest.param(
            "beta alpha Beta gamma ALPHA beta",
            [("beta", 3), ("alpha", 2), ("gamma", 1)],
            id="most-frequent-first",
        ),
        pytest.param(
            "zeta eta theta eta zeta",
            [("eta", 2), ("zeta", 2), ("theta", 1)],
            id="ties-alphabetical",
        ),
        pytest.param("the and 123", [], id="nothing-to-count"),
    ],
)
def test_word_counts(text, counts):
    assert word_counts(text) == counts


@pytest.mark.parametrize(
    "candidate",
    ["gato", "canción", "мир", "コーヒー", "ab²c", "ⅻab", "a" * MAX_WORD_LENGTH],
)
def test_is_word_accepts_lowercase_letters_of_any_script(candidate):
    """Numbers that are not digits (`²`, `ⅻ`) were word letters before the rule was written
    down, so they still are."""
    assert is_word(candidate)
    assert tokenize(candidate) == [candidate]


@pytest.mark.parametrize(
    "candidate",
    [
        *["Gato", "ga", "the", "für", "g4to", "Ⅻab", "gato perro", " gato", "gato!", "gato\n", ""],
        "a" * (MAX_WORD_LENGTH + 1),
    ],
)
def test_is_word_rejects_anything_else(candidate):
    assert not is_word(candidate)
    assert tokenize(candidate) != [candidate]


def test_tokenize_reads_the_dotted_capital_i_as_i():
    """`str.lower()` makes `İ` two characters, the second a combining dot (no letter)."""
    assert tokenize("İSTANBUL İstanbul") == ["istanbul", "istanbul"]
