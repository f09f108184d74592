"""The engine and the per-request session, made when the module is imported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from notes.config import settings

engine = create_engine(settings.database_url)
SessionLocal = sessionmaker(engine)


def get_session() -> Iterator[Session]:
    """One session per request, closed after the response."""
    with SessionLocal() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
