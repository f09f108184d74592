"""Vocabulary games: multiple-choice quizzes built from a video's words."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from backend.api.common import (
    ID_DESCRIPTION,
    RESPONSE_ID,
    WHOLE_NUMBER,
    JsonInt,
    Language,
    Limit,
    Offset,
    Page,
    StrictModel,
    domain_errors,
    errors,
    link,
    paginate,
)
from backend.api.dependencies import OwnedGame, get_owned_video
from backend.db import SessionDep
from backend.dependencies import TranslationDep
from backend.models import Game
from backend.services import games
from backend.users import CurrentUser

router = APIRouter(prefix="/games", tags=["games"], responses=errors(401))

MAX_QUESTIONS = 20


class GameCreate(StrictModel):
    video_id: JsonInt = Field(description=ID_DESCRIPTION)
    questions: JsonInt = Field(5, ge=1, le=MAX_QUESTIONS)
    seed: Annotated[int, Field(ge=0, le=2**31 - 1), WHOLE_NUMBER] | None = None
    target_language: Language = "en"


class QuestionRead(BaseModel):
    position: int
    word: str
    options: list[str]
    answer: str | None
    correct: bool | None
    solution: str | None = Field(description="Shown once the question is answered")


class GameRead(BaseModel):
    id: int
    video_id: int
    seed: int
    target_language: str
    created_at: datetime
    finished: bool
    score: int
    questions: list[QuestionRead]


class GameSummary(BaseModel):
    id: int
    video_id: int
    created_at: datetime
    finished: bool
    score: int
    total: int


class AnswerIn(StrictModel):
    position: JsonInt = Field(ge=0, lt=MAX_QUESTIONS)
    answer: str = Field(min_length=1, max_length=256)


class AnswerResult(BaseModel):
    position: int
    correct: bool
    solution: str
    score: int
    finished: bool


def to_read(game: Game) -> GameRead:
    return GameRead(
        id=game.id,
        video_id=game.video_id,
        seed=game.seed,
        target_language=game.target_language,
        created_at=game.created_at,
        finished=game.finished,
        score=game.score,
        questions=[
            QuestionRead(
                position=q.position,
                word=q.word,
                options=q.options,
                answer=q.answer,
                correct=q.correct,
                solution=q.solution if q.answer is not None else None,
            )
            for q in game.questions
        ],
    )


def to_summary(game: Game) -> GameSummary:
    return GameSummary(
        id=game.id,
        video_id=game.video_id,
        created_at=game.created_at,
        finished=game.finished,
        score=game.score,
        total=len(game.questions),
    )


GAME_LINKS = {
    "GetGame": link("get_game_games__game_id__get", "Read the game", game_id=RESPONSE_ID),
    "AnswerQuestion": link(
        "answer_games__game_id__answers_post", "Answer one of its questions", game_id=RESPONSE_ID
    ),
    "GetVideo": link(
        "get_video_videos__video_id__get",
        "The video it quizzes on",
        video_id="$response.body#/video_id",
    ),
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"description": "The game, started", "links": GAME_LINKS},
        503: {"description": "The translation service is down or too slow"},
        **errors(400, 404, 409),
    },
)
async def create_game(
    body: GameCreate, user: CurrentUser, session: SessionDep, translator: TranslationDep
) -> GameRead:
    video = await get_owned_video(body.video_id, user, session)
    with domain_errors():
        game = await games.start_game(
            session, translator, user.id, video, body.questions, body.target_language, body.seed
        )
    return to_read(game)


@router.get("")
async def list_games(
    user: CurrentUser, session: SessionDep, limit: Limit = 20, offset: Offset = 0
) -> Page[GameSummary]:
    return await paginate(session, Game, user.id, limit, offset, to_summary)


@router.get("/{game_id}", responses=errors(404))
async def get_game(game: OwnedGame) -> GameRead:
    return to_read(game)


@router.post("/{game_id}/answers", responses=errors(400, 404, 409))
async def answer(game: OwnedGame, body: AnswerIn, session: SessionDep) -> AnswerResult:
    with domain_errors():
        question = await games.answer_question(session, game, body.position, body.answer)
    return AnswerResult(
        position=question.position,
        correct=bool(question.correct),
        solution=question.solution,
        score=game.score,
        finished=game.finished,
    )
