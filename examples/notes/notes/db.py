"""The engine and the per-request session, made when the module is imported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from notes.config import settings

# Plain `def` routes run in a thread pool: a SQLite connection must be usable from any thread.
_connect_args = {"check_same_thread": False} if settings.database_url.startswith("sqlite") else {}
engine = create_engine(settings.database_url, connect_args=_connect_args)
SessionLocal = sessionmaker(engine)


def get_session() -> Iterator[Session]:
    """One session per request, closed after the response."""
    with SessionLocal() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
