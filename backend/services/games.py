"""Vocabulary games: a quiz started on a video's words, answered one question at a time."""

from __future__ import annotations

import random
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Game, Question, Video
from backend.queries import word_statuses
from backend.services.errors import Conflict
from backend.services.quiz import DISTRACTORS, NotEnoughWords, build_quiz, pick_words
from backend.services.translation import TranslationService, translate_words
from backend.services.videos import require_transcript
from backend.services.vocabulary import word_counts


async def start_game(
    session: AsyncSession,
    translator: TranslationService,
    owner_id: uuid.UUID,
    video: Video,
    questions: int,
    target_language: str,
    seed: int | None,
) -> Game:
    """A quiz of `questions` words of the video, the user's unknown words first, each with
    its translation among others; the seed (random when None) fixes the options' order.

    Conflict, naming the field, for what depends on the video rather than the request alone:
    no transcript, its own language as the target, fewer words than asked, too few distinct
    translations.
    """
    words = [word for word, _ in word_counts(require_transcript(video))]
    if target_language == video.language:
        raise Conflict(f"target_language: must differ from the video's language ({video.language})")
    if len(words) < questions:
        raise Conflict(
            f"questions: the video has only {len(words)} vocabulary words; "
            "ask for at most that many"
        )
    marks = await word_statuses(session, owner_id, video.language)
    known = {word for word, is_known in marks.items() if is_known}
    picked = pick_words(words, known, questions)
    # A few more words than asked, so even a one-question quiz has distractors.
    extra = [w for w in words if w not in picked][:DISTRACTORS]
    translations, _ = await translate_words(
        session, translator, picked + extra, video.language, target_language
    )
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    try:
        quiz = build_quiz(picked, translations, seed)
    except NotEnoughWords as error:
        raise Conflict(f"video_id: {error}") from None
    game = Game(owner_id=owner_id, video_id=video.id, seed=seed, target_language=target_language)
    game.questions = [
        Question(position=i, word=q.word, options=q.options, solution=q.solution)
        for i, q in enumerate(quiz)
    ]
    session.add(game)
    await session.commit()
    return game


async def answer_question(
    session: AsyncSession, game: Game, position: int, answer: str
) -> Question:
    """Record the answer to one question, once; Conflict for a finished game, a position past
    its questions or a question already answered."""
    if game.finished:
        raise Conflict("the game is finished; start a new one with POST /games")
    if position >= len(game.questions):
        raise Conflict(f"position: the game has questions 0 to {len(game.questions) - 1}")
    question = game.questions[position]
    if question.answer is not None:
        raise Conflict(f"question {position} is already answered")
    question.answer = answer
    question.correct = answer == question.solution
    await session.commit()
    return question
