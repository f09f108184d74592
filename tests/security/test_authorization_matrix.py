"""Who may call what: every protected operation, as its owner, as another user, and anonymously.

One table drives it. An operation on the owner's resource (an id in the path or the body) is
2xx for the owner, 404 for anybody else (absent and not-yours look alike) and 401 without a
token; an id-less user operation is 2xx for everybody logged in, each seeing only their own
data. Neither a refused call nor another user's call may change the owner's data. The table
must cover every protected operation of the schema, so a new route cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Game, Question, User, Video, WordStatus
from tests.fixtures.clients import ClientFactory, UserClient
from tests.fixtures.games import GameFactory
from tests.fixtures.videos import VideoFactory
from tests.helpers import openapi_operations

# In the owner's title, transcript and word marks: no other user's answer may contain it.
OWNER_MARK = "clandestino"
TRANSCRIPT = f"El {OWNER_MARK} cruza la frontera con maletas, pasaportes y billetes falsos."
# FastAPI-Users' own superuser routes; tests/api/test_auth.py covers them.
SUPERUSER_PATH = "/users/{id}"


@dataclass(frozen=True)
class World:
    """The owner's data: a transcribed video with its media file, a word mark, a game."""

    owner: UserClient
    video_id: int
    game_id: int

    def url(self, template: str) -> str:
        return template.format(video_id=self.video_id, game_id=self.game_id)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the OpenAPI schema spells it
    owner_status: int
    owned: bool  # names the owner's resource: another user gets 404
    json: Callable[[World], dict[str, Any]] | None = None
    form: bool = False  # a multipart upload
    params: dict[str, str] | None = None
    echoes: tuple[str, str] | None = None  # (response key, World attribute) the owner gets back

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    async def call(self, client: httpx.AsyncClient, world: World) -> httpx.Response:
        extra: dict[str, Any] = {"params": self.params}
        if self.json is not None:
            extra["json"] = self.json(world)
        if self.form:
            extra["data"] = {"title": "Mine", "language": "es"}
            extra["files"] = {"file": ("mine.mp4", b"\x00" * 64, "video/mp4")}
        return await client.request(self.method, world.url(self.path), **extra)


OPERATIONS = [
    # Operations on the owner's video or game, named in the path or the body.
    Operation("GET", "/videos/{video_id}", 200, True, echoes=("id", "video_id")),
    Operation("DELETE", "/videos/{video_id}", 204, True),
    Operation(
        "POST", "/videos/{video_id}/transcription", 200, True, echoes=("video_id", "video_id")
    ),
    Operation(
        "GET", "/videos/{video_id}/transcription", 200, True, echoes=("video_id", "video_id")
    ),
    Operation("GET", "/videos/{video_id}/vocabulary", 200, True, echoes=("video_id", "video_id")),
    Operation("GET", "/games/{game_id}", 200, True, echoes=("id", "game_id")),
    Operation(
        "POST",
        "/games/{game_id}/answers",
        200,
        True,
        json=lambda world: {"position": 0, "answer": "a guess"},
    ),
    Operation(
        "POST",
        "/games",
        201,
        True,
        json=lambda world: {"video_id": world.video_id, "questions": 2},
        echoes=("video_id", "video_id"),
    ),
    # Id-less operations on the caller's own data.
    Operation("GET", "/videos", 200, False),
    Operation("POST", "/videos", 201, False, form=True),
    Operation("GET", "/games", 200, False),
    Operation("GET", "/vocabulary", 200, False),
    Operation(
        "PUT", f"/vocabulary/es/{OWNER_MARK}", 200, False, json=lambda world: {"known": False}
    ),
    Operation("GET", "/progress", 200, False),
    Operation("GET", "/translations", 200, False, params={"word": OWNER_MARK, "source": "es"}),
    Operation("GET", "/users/me", 200, False),
    Operation("PATCH", "/users/me", 200, False, json=lambda world: {}),
    Operation("POST", "/auth/jwt/logout", 204, False),
]
# The table writes the word-mark route with a concrete word; the schema with its template.
SCHEMA_PATHS = {f"/vocabulary/es/{OWNER_MARK}": "/vocabulary/{language}/{word}"}


def schema_key(operation: Operation) -> tuple[str, str]:
    return operation.method, SCHEMA_PATHS.get(operation.path, operation.path)


@pytest_asyncio.fixture
async def world(
    auth_client: UserClient, video_factory: VideoFactory, game_factory: GameFactory
) -> World:
    """The owner (`auth_client`) with one of each kind of resource, all made through the API."""
    owner = auth_client
    title = f"Trip of the {OWNER_MARK}"
    video_id = (await video_factory(owner, title=title, transcript=TRANSCRIPT))["id"]
    marked = await owner.put(f"/vocabulary/es/{OWNER_MARK}", json={"known": True})
    assert marked.status_code == 200, marked.text
    game = await game_factory(owner, video_id, questions=2)
    return World(owner=owner, video_id=video_id, game_id=game["id"])


async def snapshot(session: AsyncSession, world: World) -> list[list[Any]]:
    """The owner's rows as committed, to prove a call changed none of them."""
    owner_id = world.owner.user.id
    users = User.__table__.c  # FastAPI-Users types the mapped columns as plain values
    queries = [
        select(users.email, users.hashed_password, users.is_active).where(users.id == owner_id),
        select(Video.id, Video.title, Video.stored_name, Video.transcript).where(
            Video.owner_id == owner_id
        ),
        select(Game.id, Question.position, Question.answer)
        .join(Question)
        .where(Game.owner_id == owner_id),
        select(WordStatus.language, WordStatus.word, WordStatus.known).where(
            WordStatus.user_id == owner_id
        ),
    ]
    return [sorted((await session.execute(query)).tuples().all()) for query in queries]


class TestTheTableIsComplete:
    def test_every_operation_with_a_path_parameter_is_in_the_table(self, app: FastAPI):
        with_parameters = {
            key for key in openapi_operations(app) if "{" in key[1] and key[1] != SUPERUSER_PATH
        }

        assert len(with_parameters) >= 8  # the schema was read, not an empty dict
        assert with_parameters - {schema_key(op) for op in OPERATIONS} == set()

    def test_every_protected_operation_is_in_the_table_and_nothing_else(self, app: FastAPI):
        protected = {
            key
            for key, operation in openapi_operations(app).items()
            if operation.get("security") and key[1] != SUPERUSER_PATH
        }

        assert {schema_key(op) for op in OPERATIONS} == protected
        assert len(OPERATIONS) == len(protected)  # no operation listed twice


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
async def test_the_owner_is_served(world: World, operation: Operation):
    response = await operation.call(world.owner, world)

    assert response.status_code == operation.owner_status, response.text
    if operation.echoes is not None:
        key, attribute = operation.echoes
        assert response.json()[key] == getattr(world, attribute)


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
async def test_without_a_token_it_is_401_and_changes_nothing(
    world: World, client: httpx.AsyncClient, db_session: AsyncSession, operation: Operation
):
    before = await snapshot(db_session, world)

    response = await operation.call(client, world)

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    assert await snapshot(db_session, world) == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
async def test_another_user_gets_404_or_only_their_own_data(
    world: World, client_factory: ClientFactory, db_session: AsyncSession, operation: Operation
):
    intruder = await client_factory()
    before = await snapshot(db_session, world)

    response = await operation.call(intruder, world)

    if operation.owned:
        assert response.status_code == 404
        assert response.json()["detail"].endswith("not found")
    else:
        assert response.status_code == operation.owner_status, response.text
        assert world.owner.user.email not in response.text
        if OWNER_MARK not in str(response.request.url):  # else the intruder asked for it
            assert OWNER_MARK not in response.text
    assert await snapshot(db_session, world) == before


async def test_the_snapshot_sees_a_change_by_the_owner(world: World, db_session: AsyncSession):
    """Control: the "changes nothing" assertions above could fail."""
    before = await snapshot(db_session, world)

    answered = await world.owner.post(
        f"/games/{world.game_id}/answers", json={"position": 0, "answer": "a guess"}
    )

    assert answered.status_code == 200
    assert await snapshot(db_session, world) != before
