"""The schema source a suite configures, built once per run on the template.

One of: an `alembic.ini` (its migrations to head), a callable taking a sync connection (an
app's own `upgrade`), or a `MetaData` (`create_all`, for apps without migrations); then the
optional seed, on the same template, so every worker's copy starts with it (a first superuser).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData

from pytest_fastapi_db.isolation import drop_tables

ConnectionStep = Callable[[Connection], None]


@contextlib.contextmanager
def environment(name: str | None, value: str) -> Iterator[None]:
    """`name` set to `value` inside the block (nothing when `name` is None), then put back."""
    if name is None:
        yield
        return
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@dataclass(frozen=True)
class Schema:
    """How to make an empty database the app's: exactly one source, then the seed."""

    sync_engine: Callable[[str], Engine]
    alembic_ini: Path | None = None
    migrate: ConnectionStep | None = None
    metadata: MetaData | None = None
    seed: ConnectionStep | None = None
    url_env: str | None = None

    def describe(self) -> str:
        if self.alembic_ini is not None:
            return f"alembic: {self.alembic_ini}"
        if self.migrate is not None:
            return f"migrate: {self.migrate.__module__}.{self.migrate.__qualname__}"
        return "metadata: create_all" if self.metadata is not None else "none"

    def build(self, url: str) -> None:
        """Build the schema, then the seed, in the (empty) database at sync `url`, committed."""
        engine = self.sync_engine(url)
        try:
            with environment(self.url_env, url), engine.connect() as connection:
                self.build_on(connection, url)
        finally:
            engine.dispose()  # no connection may stay open on a template

    def build_on(self, connection: Connection, url: str) -> None:
        if self.alembic_ini is not None:
            self._alembic_upgrade(connection, url)
        elif self.migrate is not None:
            self.migrate(connection)
        elif self.metadata is not None:
            with connection.begin():
                self.metadata.create_all(connection)
        if self.seed is not None:
            with connection.begin():
                self.seed(connection)
        if connection.in_transaction():  # what a migrate callable left open
            connection.commit()

    def _alembic_upgrade(self, connection: Connection, url: str) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config(str(self.alembic_ini))
        # An env.py that builds its own engine reads the URL here (or from `url_env`); one
        # that takes a connection (Alembic's "connection sharing" recipe) gets this one.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        config.attributes["connection"] = connection
        with connection.begin():
            command.upgrade(config, "head")

    def recreate(self, engine: Engine) -> None:
        """The naive isolation: every table dropped, then made again (`--db-isolation=recreate`).

        With metadata its `create_all` (the quick way), else the whole source again."""
        drop_tables(engine, self.metadata)
        url = engine.url.render_as_string(hide_password=False)
        with environment(self.url_env, url), engine.connect() as connection:
            if self.metadata is not None:
                with connection.begin():
                    self.metadata.create_all(connection)
                if self.seed is not None:
                    with connection.begin():
                        self.seed(connection)
            else:
                self.build_on(connection, url)
