"""PostgreSQL kept warm: one server per warm server, a migrated template, a spare copy of it.

A cold `--db=postgresql` run starts a server, migrates a template and clones it before its
first test. The warm server keeps a PostgreSQL server running (started, like everything that
runs the plugin's or the project's code, in a forked helper that then exits, never in the
server itself), and hands each PostgreSQL run, in WARM_ENV: the server's URL, the name of the
template for the current schema and a spare copy of that template made after the previous run,
which the run takes by renaming it (no wait for a clone). The template is tagged as
`templates.schema_tag` says: an edited migration or model is a new template. The
run side is WarmPostgresDatabases, which the plugin uses when WARM_ENV is set.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_fastapi_db.databases import BuildSchema, PostgresDatabases
    from pytest_fastapi_db.postgres import PostgresAddress

WARM_ENV = "FASTAPI_DB_WARM_POSTGRES"
TEMPLATE_PREFIX = "fastapi_db_warm_"


def wants_postgres(args: Sequence[str], env: dict[str, str]) -> bool:
    """A run on PostgreSQL that would start a server of its own (no server named)."""
    from pytest_fastapi_db.postgres import DB_URL_ENV

    if env.get(DB_URL_ENV) or any(arg.startswith("--db-url") for arg in args):
        return False
    pairs = zip(args, [*args[1:], ""], strict=True)
    return any(arg == "--db=postgresql" or (arg == "--db" and after == "postgresql")
               for arg, after in pairs)  # fmt: skip


def template_name(tag: str) -> str:
    return f"{TEMPLATE_PREFIX}{tag}"


def spare_name(tag: str) -> str:
    return f"{TEMPLATE_PREFIX}{tag}_spare"


# In the warm server's helpers (forked, then exiting with os._exit).


def start_server(folder: Path) -> str:
    """Start PostgreSQL linked from the warm server's folder; its maintenance URL."""
    from pytest_fastapi_db.postgres import start_server as start

    address = start(folder)
    return address.url(address.maintenance_db, driver="psycopg")


def stop_server(folder: Path) -> None:
    from pytest_fastapi_db.postgres import stop_server as stop

    stop(folder)


def make_spare(url: str, tag: str) -> None:
    """The next run's copy of the current template, once it exists; templates of other
    migrations (and their spares) go."""
    from pytest_fastapi_db.postgres import PostgresAddress, database_names

    address = PostgresAddress.from_url(url)
    names = database_names(address, TEMPLATE_PREFIX)
    for name in names:
        if not name.startswith(template_name(tag)):
            address.janitor(name, as_template=not name.endswith("_spare")).drop()
    if template_name(tag) in names and spare_name(tag) not in names:
        address.janitor(spare_name(tag), template=template_name(tag)).init()


# In a run (the plugin, when WARM_ENV is set).


def warm_postgres(is_async: bool, run: str) -> PostgresDatabases | None:
    """The run's databases on the warm server's PostgreSQL, or None outside a warm run."""
    text = os.environ.pop(WARM_ENV, None)  # for this run only, not for runs it starts
    if not text:
        return None
    given: dict[str, Any] = json.loads(text)
    from pytest_fastapi_db.databases import PostgresDatabases
    from pytest_fastapi_db.postgres import PostgresAddress

    class WarmPostgresDatabases(PostgresDatabases):
        """The warm server's template (built here if its migrations are new) and its spare."""

        spare: str | None = given.get("spare")

        def build_template(self, build: BuildSchema) -> None:
            with _AdvisoryLock(self.address, self.template):
                from pytest_fastapi_db.postgres import database_names

                if self.template in database_names(self.address, self.template):
                    return
                try:
                    super().build_template(build)
                except BaseException:
                    self.address.janitor(self.template, as_template=True).drop()
                    raise

        def create(self, name: str) -> str:
            spare, self.spare = self.spare, None
            database = f"{self.prefix}{name}"
            if spare is not None:
                import psycopg

                with self.address.connect() as connection:
                    connection.autocommit = True
                    try:
                        connection.execute(f'ALTER DATABASE "{spare}" RENAME TO "{database}"')
                    except psycopg.Error:
                        pass  # gone or taken: clone as a cold run does
                    else:
                        return self.url(database)
            return super().create(name)

    databases = WarmPostgresDatabases(
        PostgresAddress.from_url(given["url"]), run, own_server=False, is_async=is_async
    )
    databases.template = given["template"]
    return databases


class _AdvisoryLock:
    """A server-wide lock named by `name`: one run builds a template, the others wait."""

    def __init__(self, address: PostgresAddress, name: str) -> None:
        self.connection = address.connect()
        self.connection.autocommit = True
        self.key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)

    def __enter__(self) -> None:
        self.connection.execute("SELECT pg_advisory_lock(%s)", (self.key,))

    def __exit__(self, *exc: object) -> None:
        self.connection.close()  # releases the lock
