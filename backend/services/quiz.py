"""Building a multiple-choice quiz; pure so that a seed fully determines the result."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DISTRACTORS = 3


class NotEnoughWords(ValueError):
    pass


@dataclass(frozen=True)
class QuizQuestion:
    word: str
    solution: str
    options: list[str]


def pick_words(words: Sequence[str], known: set[str], count: int) -> list[str]:
    """The first `count` words, unknown ones first, each group keeping its given order."""
    ordered = [w for w in words if w not in known] + [w for w in words if w in known]
    return ordered[:count]


def build_quiz(
    words: Sequence[str], translations: Mapping[str, str], seed: int
) -> list[QuizQuestion]:
    """One question per word: its translation among distractors drawn from the others.

    Distractors are translations of the other words, so a quiz needs at least two
    distinct translations; the option order comes from `seed`.
    """
    rng = random.Random(seed)
    pool = sorted(set(translations.values()))
    if len(pool) < 2:
        raise NotEnoughWords("a quiz needs at least two words with different translations")
    questions = []
    for word in words:
        solution = translations[word]
        others = [t for t in pool if t != solution]
        options = [solution, *rng.sample(others, min(DISTRACTORS, len(others)))]
        rng.shuffle(options)
        questions.append(QuizQuestion(word=word, solution=solution, options=options))
    return questions
