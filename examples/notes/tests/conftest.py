"""pytest-fastapi-db does the rest, configured in pyproject.toml's [tool.pytest.ini_options]."""

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from notes.config import settings
from notes.seed import seed_superuser


def seed(connection: Connection) -> None:
    """The superuser the app makes at start, made once on the template database."""
    with Session(connection) as session:
        seed_superuser(session, settings)
