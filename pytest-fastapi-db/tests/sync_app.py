"""A tiny sync FastAPI app (plain `def` routes, a `def` session dependency, a module-level
engine and hasher, a lifespan) for the sync path's and the doctor's tests."""

from __future__ import annotations

import textwrap

import pytest

SYNC_APP = """
from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy import String, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

# As the app would in production: its own engine, at import, never used by the tests.
engine = create_engine(os.environ.get("TINY_SYNC_URL", "sqlite:///never-opened.sqlite3"))
SessionLocal = sessionmaker(engine)
started: list[str] = []


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


def get_session() -> Iterator[Session]:
    with SessionLocal() as session:
        yield session


def seed(connection) -> None:
    connection.execute(Item.__table__.insert().values(name="seeded"))


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    started.append("lifespan")
    yield


app = FastAPI(lifespan=lifespan)


@app.post("/items/{name}")
def add(name: str, session: Session = Depends(get_session)) -> dict[str, int]:
    session.add(Item(name=name))
    session.commit()
    return {"count": session.scalar(select(func.count()).select_from(Item)) or 0}


@app.get("/items")
def names(session: Session = Depends(get_session)) -> list[str]:
    return list(session.scalars(select(Item.name).order_by(Item.id)))
"""

SYNC_INI = """
[pytest]
pythonpath = .
addopts =
    -p no:randomly -p no:cacheprovider -p no:pytest_alembic -p no:pytest_postgresql -p no:asyncio
filterwarnings = error
fastapi_db_app = tinysync:app
fastapi_db_session_dependency = tinysync:get_session
fastapi_db_metadata = tinysync:Base.metadata
fastapi_db_seed = tinysync:seed
"""


def sync_project(pytester: pytest.Pytester, ini: str = SYNC_INI, **tests: str) -> None:
    """The tiny sync app, its ini file and `tests` (name -> source) in pytester's folder."""
    sources = {name: textwrap.dedent(source) for name, source in tests.items()}
    pytester.makepyfile(tinysync=SYNC_APP, **sources)
    pytester.makeini(ini)
