"""The first superuser, made at start from the settings when it does not exist yet."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from notes.config import Settings
from notes.db import engine
from notes.models import User
from notes.services import create_user


class SchemaMissing(RuntimeError):
    """The database has no tables yet; the message says how to make them."""


def require_schema() -> None:
    """SchemaMissing unless the app's database has been migrated."""
    if not inspect(engine).has_table(User.__tablename__):
        raise SchemaMissing(
            f"the database at {engine.url.render_as_string()} has no tables yet: run "
            "`alembic upgrade head` in examples/notes with the same DATABASE_URL first"
        )


def seed_superuser(session: Session, settings: Settings) -> User:
    """The configured superuser, created (and committed) on first start."""
    existing = session.scalar(select(User).where(User.email == settings.first_superuser_email))
    if existing is not None:
        return existing
    password = settings.first_superuser_password.get_secret_value()
    return create_user(session, settings.first_superuser_email, password, superuser=True)
