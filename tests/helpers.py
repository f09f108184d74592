"""Plain helpers the test folders share (tests/api, tests/security, ...), none a fixture.

They live beside the folders, not in one of them, so no test folder imports another. The
user's own data goes through the API (the `video_factory` fixture); somebody else's is written
straight to the database, which is faster (`finished_game_of`). `python_files` and
`imported_modules` read the checkout's sources, for the layout rules of api/ and suite/.
"""

from __future__ import annotations

import ast
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import Base, Game, Question, User, Video, WordStatus
from tools import ROOT

Row = TypeVar("Row", bound=Base)


def error_locations(response: httpx.Response) -> list[list[Any]]:
    """Where each error of a 422 points (`["body", "title"]`, ...): the field must be named."""
    return [error["loc"] for error in response.json()["detail"]]


def bearer(token: str) -> dict[str, str]:
    """The Authorization header that carries `token`."""
    return {"Authorization": f"Bearer {token}"}


async def reloaded(session: AsyncSession, model: type[Row], key: object) -> Row | None:
    """The row as the app committed it, not the copy cached in the test's session."""
    return await session.get(model, key, populate_existing=True)


def openapi_operations(app: FastAPI) -> dict[tuple[str, str], dict[str, Any]]:
    """(METHOD, path) -> operation, for every operation of the app's OpenAPI schema."""
    return {
        (method.upper(), path): operation
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    }


@contextmanager
def sqlite_file(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to a database file, committed and then closed.

    sqlite3's own `with connection:` commits but leaves the connection open, to be closed when
    collected, and Python 3.13 warns of each one (a ResourceWarning, an error here).
    """
    with closing(sqlite3.connect(path)) as connection, connection:
        yield connection


def table_names(path: Path) -> set[str]:
    """The tables of a SQLite database file."""
    with sqlite_file(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def user_folder(settings: Settings, user: User) -> Path:
    """Where the app stores `user`'s media files."""
    return settings.media_dir / str(user.id)


def files_in(folder: Path) -> list[Path]:
    """The files of `folder`, sorted; none if it does not exist."""
    return sorted(folder.iterdir()) if folder.exists() else []


async def finished_game_of(session: AsyncSession, owner: User) -> Game:
    """A video, a word mark and a two-question game of `owner`, every answer wrong."""
    video = Video(owner_id=owner.id, title="Theirs", language="es", transcript="gato perro")
    session.add(video)
    session.add(WordStatus(user_id=owner.id, language="es", word="gato", known=False))
    await session.flush()
    game = Game(owner_id=owner.id, video_id=video.id, seed=1, target_language="en")
    game.questions = [
        Question(position=i, word=w, options=["a", "b"], solution="a", answer="b", correct=False)
        for i, w in enumerate(["gato", "perro"])
    ]
    session.add(game)
    await session.commit()
    return game


def python_files(*names: str) -> list[Path]:
    """The .py files of each folder (or the file) named, relative to the checkout."""
    files: list[Path] = []
    for name in names:
        path = ROOT / name
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (lazy imports inside functions included)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def top_level(module: str) -> str:
    return module.split(".")[0]
