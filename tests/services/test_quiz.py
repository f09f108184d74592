"""The quiz builder: which words are asked, and options that a seed fully determines."""

from __future__ import annotations

import pytest

from backend.services.quiz import DISTRACTORS, NotEnoughWords, build_quiz, pick_words

TRANSLATIONS = {
    "gato": "cat",
    "perro": "dog",
    "casa": "house",
    "mesa": "table",
    "silla": "chair",
    "libro": "book",
}
WORDS = list(TRANSLATIONS)


@pytest.mark.parametrize(
    ("known", "count", "picked"),
    [
        pytest.param(set(), 3, ["gato", "perro", "casa"], id="nothing-known"),
        pytest.param({"gato", "casa"}, 3, ["perro", "mesa", "silla"], id="unknown-first"),
        pytest.param(
            {"gato", "casa"},
            6,
            ["perro", "mesa", "silla", "libro", "gato", "casa"],
            id="known-last-in-order",
        ),
        pytest.param(set(WORDS), 2, ["gato", "perro"], id="all-known"),
        pytest.param({"other"}, 10, WORDS, id="fewer-words-than-asked"),
    ],
)
def test_pick_words(known, count, picked):
    assert pick_words(WORDS, known, count) == picked


def test_the_same_seed_builds_the_same_quiz():
    assert build_quiz(WORDS, TRANSLATIONS, seed=99) == build_quiz(WORDS, TRANSLATIONS, seed=99)


def test_different_seeds_can_build_different_quizzes():
    quizzes = [build_quiz(WORDS, TRANSLATIONS, seed) for seed in range(10)]
    assert any(quiz != quizzes[0] for quiz in quizzes[1:])


@pytest.mark.parametrize("seed", [0, 1, 2**31 - 1])
def test_every_question_offers_its_solution_among_distinct_options(seed):
    quiz = build_quiz(WORDS[:2], TRANSLATIONS, seed)

    assert [question.word for question in quiz] == WORDS[:2]
    for question in quiz:
        assert question.solution == TRANSLATIONS[question.word]
        assert question.solution in question.options
        assert len(question.options) == len(set(question.options)) == 1 + DISTRACTORS
        # Distractors may come from words that are not asked.
        assert set(question.options) <= set(TRANSLATIONS.values())


def test_with_few_translations_every_other_one_is_a_distractor():
    quiz = build_quiz(["gato"], {"gato": "cat", "perro": "dog"}, seed=5)

    assert sorted(quiz[0].options) == ["cat", "dog"]


@pytest.mark.parametrize(
    "translations",
    [
        pytest.param({}, id="none"),
        pytest.param({"gato": "cat"}, id="one"),
        pytest.param({"gato": "cat", "felino": "cat"}, id="one-distinct"),
    ],
)
def test_fewer_than_two_distinct_translations_make_no_quiz(translations):
    with pytest.raises(NotEnoughWords, match="two words with different translations"):
        build_quiz(list(translations), translations, seed=1)
