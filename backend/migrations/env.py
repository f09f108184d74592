"""Alembic's environment: which database, which metadata, and how a migration runs.

Three ways in:

- a connection handed over in `config.attributes["connection"]` (backend.schema, the tests):
  the migrations run on it, inside whatever transaction its owner manages (an Engine, as
  pytest-alembic hands over, gets a connection of its own and one transaction);
- `alembic ...` from the command line: the app's own async engine on DATABASE_URL (read like
  the app reads it: the environment, then `.env`), the whole run in one transaction;
- `alembic ... --sql`: the SQL is printed for DATABASE_URL's dialect instead of run.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.util import CommandError
from fastapi_users_db_sqlalchemy.generics import GUID
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.config import DatabaseSettings, describe_settings_error
from backend.db import build_async_engine
from backend.models import Base, UTCDateTime

config = context.config
if config.config_file_name is not None:  # the command line: alembic.ini's logging
    fileConfig(config.config_file_name, disable_existing_loggers=False)
# pytest-alembic may hand in metadata of its own; without it, the models'.
target_metadata: MetaData = config.attributes.get("target_metadata") or Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write the app's column types into a revision as what they are in the database, so a
    revision does not change when the Python side of a type does."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, GUID):
        autogen_context.imports.add("from fastapi_users_db_sqlalchemy.generics import GUID")
        return "GUID()"
    return False


def configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters a table by copying it: batch mode writes migrations that way there.
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        process_revision_directives=config.attributes.get("process_revision_directives"),
    )
    with context.begin_transaction():
        context.run_migrations()


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    try:
        return DatabaseSettings().database_url
    except ValidationError as error:
        raise CommandError(describe_settings_error(error)) from None


def run_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_in_one_transaction(connection: Connection) -> None:
    with connection.begin():
        configure_and_run(connection)


async def run_on(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.run_sync(run_in_one_transaction)


async def run_on_the_apps_engine() -> None:
    engine = build_async_engine(database_url())
    try:
        await run_on(engine)
    finally:
        await engine.dispose()


def run() -> None:
    if context.is_offline_mode():
        run_offline()
        return
    connectable = config.attributes.get("connection")
    if connectable is None:
        asyncio.run(run_on_the_apps_engine())
    elif isinstance(connectable, Connection):
        configure_and_run(connectable)
    elif isinstance(connectable, Engine):  # pytest-alembic hands over its engine
        with connectable.connect() as connection:
            run_in_one_transaction(connection)
    elif isinstance(connectable, AsyncEngine):
        asyncio.run(run_on(connectable))
    else:
        raise CommandError(
            "config.attributes['connection'] must be a sqlalchemy Connection or Engine, not "
            f"{type(connectable).__name__} (for an AsyncConnection, use run_sync)"
        )


run()
