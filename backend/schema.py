"""The database schema, as the Alembic migrations in backend/migrations/ define it.

Nothing else makes tables: the app migrates at start-up outside production (`prepare_schema`),
`alembic upgrade head` migrates from the command line (alembic.ini at the repository root),
and the tests build their databases with `upgrade(connection)`.

The migrations run on a connection handed to env.py through `config.attributes["connection"]`
(Alembic's "connection sharing" recipe), so whoever owns the connection owns the transaction:
`upgrade` runs every step in one transaction and commits it, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL, Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

SCRIPT_LOCATION = "backend:migrations"
VERSION_TABLE = "alembic_version"
MIGRATE_COMMAND = "alembic upgrade head"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the package's migrations; with `connection`, env.py uses it."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The revision the models of this version of the app correspond to."""
    head = script_directory().get_current_head()
    if head is None:  # pragma: no cover - the package always ships its first revision
        raise RuntimeError("backend/migrations/versions has no revision")
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def _run_in_one_transaction(connection: Connection, run: str, revision: str) -> None:
    config = alembic_config(connection)
    operation = command.upgrade if run == "upgrade" else command.downgrade
    if connection.in_transaction():
        operation(config, revision)
        connection.commit()
    else:
        with connection.begin():
            operation(config, revision)


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Migrate the database of a sync `connection` to `revision` (head) and commit.

    Every step runs in one transaction (a transaction the connection is already in, such as
    one it began by reading, is committed with it), so a failed upgrade leaves the database
    as it was: PostgreSQL's DDL is transactional, and so is SQLite's on the app's engines
    (`backend.db`), where SQLAlchemy rather than the sqlite3 module emits BEGIN.
    """
    _run_in_one_transaction(connection, "upgrade", revision)


def downgrade(connection: Connection, revision: str) -> None:
    """Migrate down to `revision` ("base": no tables) and commit, like `upgrade`."""
    _run_in_one_transaction(connection, "downgrade", revision)


async def migrate(engine: AsyncEngine) -> None:
    """Migrate the engine's database to head (a no-op when it is there already)."""
    async with engine.connect() as connection:
        await connection.run_sync(upgrade)


async def is_current(engine: AsyncEngine) -> bool:
    """Whether the engine's database is at head."""
    async with engine.connect() as connection:
        return await connection.run_sync(current_revision) == head_revision()


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands against the migrations."""

    current: str | None
    head: str
    tables: frozenset[str]  # the app's tables present (Alembic's version table left out)

    @property
    def is_current(self) -> bool:
        return self.current == self.head

    @property
    def is_known(self) -> bool:
        if self.current is None:
            return True
        try:
            script_directory().get_revision(self.current)
        except CommandError:
            return False
        return True


def schema_state(connection: Connection) -> SchemaState:
    tables = frozenset(inspect(connection).get_table_names()) - {VERSION_TABLE}
    return SchemaState(current_revision(connection), head_revision(), tables)


class StartupError(RuntimeError):
    """The database is not fit to serve from; the message says why and what to do."""


class DatabaseUnreachable(StartupError):
    pass


class SchemaNotReady(StartupError):
    pass


def display_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _unknown_revision(state: SchemaState, url: URL) -> str:
    return (
        f"the database at {display_url(url)} is at revision {state.current}, which this "
        f"version of the app does not know (it needs {state.head}): was it migrated by a "
        "newer version?"
    )


def _unversioned_tables(state: SchemaState, url: URL) -> str:
    first = script_directory().get_base() or state.head
    return (
        f"the database at {display_url(url)} has tables ({', '.join(sorted(state.tables))}) "
        "but no migration history: it was made before the app had migrations. Move it away "
        "to start afresh, or, if this app made it, record it as the first revision with "
        f"`alembic stamp {first}` and then run `{MIGRATE_COMMAND}` (with DATABASE_URL set)."
    )


def _outdated(state: SchemaState, url: URL) -> str:
    where = (
        "has no schema yet"
        if state.current is None
        else f"is at revision {state.current}, this version of the app needs {state.head}"
    )
    return (
        f"the database at {display_url(url)} {where}, and APP_ENV=production never migrates "
        f"on its own. Migrate it first with `{MIGRATE_COMMAND}`, run from the project "
        "directory (where alembic.ini is) with the same DATABASE_URL."
    )


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for other engines and in-memory or URI databases."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database)


def _missing_sqlite_file(url: URL) -> bool:
    path = _sqlite_file(url)
    return path is not None and not path.exists()


async def prepare_schema(engine: AsyncEngine, *, may_migrate: bool) -> None:
    """Make sure the database is at head before the app serves from it.

    With `may_migrate` (development, test) a new or outdated database is migrated; without it
    (production) anything but head raises SchemaNotReady naming the command that migrates, and
    nothing is written (not even a new SQLite file). A database that cannot be reached raises
    DatabaseUnreachable; one whose history this version does not know raises SchemaNotReady.
    """
    url = engine.url
    path = _sqlite_file(url)
    if path is not None and not path.parent.is_dir():
        # Said before connecting: aiosqlite's failed connect leaves a thread behind.
        raise DatabaseUnreachable(
            f"cannot connect to the database at {display_url(url)}: "
            f"the folder {path.parent} does not exist"
        )
    if not may_migrate and _missing_sqlite_file(url):
        raise SchemaNotReady(_outdated(SchemaState(None, head_revision(), frozenset()), url))
    connection = engine.connect()
    try:
        await connection.start()
    except Exception as error:  # whatever the driver raises: refused, no such
        # database or role, bad password (asyncpg's own errors are not wrapped in DBAPIError)
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        raise DatabaseUnreachable(
            f"cannot connect to the database at {display_url(url)}: "
            f"{reason[0] if reason else type(error).__name__}"
        ) from error
    try:
        state = await connection.run_sync(schema_state)
        if state.is_current:
            return
        if not state.is_known:
            raise SchemaNotReady(_unknown_revision(state, url))
        if state.current is None and state.tables:
            raise SchemaNotReady(_unversioned_tables(state, url))
        if not may_migrate:
            raise SchemaNotReady(_outdated(state, url))
        await connection.run_sync(upgrade)
    finally:
        await connection.close()
