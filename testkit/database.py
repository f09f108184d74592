"""This backend's schema for the bench, on the plugin's databases (pytest-fastapi-db).

The suite gets the same through pytest.ini's `fastapi_db_*` keys; the bench times the pieces
directly, so it builds them from the same two functions of the app (`backend.schema.upgrade`,
`backend.models.Base`).
"""

from __future__ import annotations

from sqlalchemy import Engine

from backend.config import Settings
from backend.db import build_sync_engine
from backend.models import Base
from backend.schema import upgrade


def build_schema(sync_url: str) -> None:
    """Migrate the empty database at `sync_url` to head (a template's schema)."""
    engine = build_sync_engine(sync_url)
    try:
        with engine.connect() as connection:
            upgrade(connection)
    finally:
        engine.dispose()


def create_schema(settings: Settings) -> Engine:
    """A sync engine on the settings' database, with every table created."""
    engine = build_sync_engine(settings.sync_database_url)
    Base.metadata.create_all(engine)
    return engine


def recreate_schema(sync_engine: Engine) -> None:
    """The naive isolation: drop and create every table."""
    Base.metadata.drop_all(sync_engine)
    Base.metadata.create_all(sync_engine)
