"""What a suite configures, read once from its ini file (`fastapi_db_*` keys).

Each value is a `module.path:attribute.path` the plugin imports when it needs it, so a bad path
fails with the key's name and the fix, not with a traceback from deep inside a fixture.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData

from pytest_fastapi_db.engines import default_async_engine, default_sync_engine
from pytest_fastapi_db.schema import Schema

# key -> (help, type); `register` adds them, so an unknown key stays an error under strict mode.
INI_KEYS: dict[str, tuple[str, str]] = {
    "fastapi_db_app": ("the app: module:attribute of a FastAPI object or of a factory", "string"),
    "fastapi_db_session_dependency": (
        "the dependency that yields the app's database session (sync or async is detected)",
        "string",
    ),
    "fastapi_db_alembic_ini": ("schema source: the path of alembic.ini (to head)", "string"),
    "fastapi_db_migrate": ("schema source: a callable taking a sync connection", "string"),
    "fastapi_db_metadata": (
        "schema source without migrations: a MetaData (create_all); also what "
        "--db-isolation=recreate drops",
        "string",
    ),
    "fastapi_db_seed": ("a callable run once on the template with a sync connection", "string"),
    "fastapi_db_url_env": (
        "an environment variable set to the test database's URL (for settings read at import)",
        "string",
    ),
    "fastapi_db_engine": ("a callable (url) -> the app's engine, for the tests' engine", "string"),
    "fastapi_db_sync_engine": ("a callable (url) -> a sync Engine, for schema work", "string"),
    "fastapi_db_hasher": ("module:attribute of the app's pwdlib PasswordHash, swapped", "string"),
    "fastapi_db_hasher_param": ("the app factory's parameter that takes a hasher", "string"),
    "fastapi_db_block_network": ("block outbound connections in tests (default true)", "bool"),
    "fastapi_db_database_fixtures": (
        "more fixtures that reach the database, for --database-tests-only",
        "linelist",
    ),
}


class ConfigError(Exception):
    """A `fastapi_db_*` value is wrong; the message names the key and the fix (a usage error
    when the run starts, a test's error when a fixture finds it)."""


def register(parser: pytest.Parser) -> None:
    for key, (help_text, kind) in INI_KEYS.items():
        default: object = True if kind == "bool" else ([] if kind == "linelist" else "")
        parser.addini(key, help_text, type=kind, default=default)  # type: ignore[arg-type]


def resolve(path: str, key: str) -> Any:
    """The object at `module.path:attribute.path`, or a ConfigError naming `key`."""
    module_name, colon, attributes = path.partition(":")
    if not colon or not module_name or not attributes:
        raise ConfigError(f"{key} = {path}: write it as module.path:attribute (e.g. app.main:app)")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(
            f"{key} = {path}: cannot import {module_name} ({error}); is its folder on "
            "pytest's `pythonpath` (ini) or installed?"
        ) from error
    for attribute in attributes.split("."):
        try:
            target = getattr(target, attribute)
        except AttributeError:
            raise ConfigError(f"{key} = {path}: {module_name} has no {attributes}") from None
    return target


def is_async_dependency(dependency: Callable[..., Any]) -> bool:
    """Whether a session dependency is async: an `async def` (generator or not)."""
    return inspect.isasyncgenfunction(dependency) or inspect.iscoroutinefunction(dependency)


@dataclass(frozen=True)
class FastapiDbConfig:
    """The suite's `fastapi_db_*` settings, read (and imported) from its ini file."""

    rootdir: Path
    app: str
    session_dependency: str
    alembic_ini: str
    migrate: str
    metadata: str
    seed: str
    url_env: str
    engine: str
    sync_engine: str
    hasher: str
    hasher_param: str
    database_fixtures: tuple[str, ...]

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> FastapiDbConfig:
        values = {key: config.getini(key) for key in INI_KEYS}
        if values["fastapi_db_alembic_ini"] and values["fastapi_db_migrate"]:
            raise ConfigError(
                "fastapi_db_alembic_ini and fastapi_db_migrate are both set: give one of them "
                "(fastapi_db_metadata may go with either, for --db-isolation=recreate)"
            )
        return cls(
            rootdir=Path(config.rootpath),
            app=values["fastapi_db_app"],
            session_dependency=values["fastapi_db_session_dependency"],
            alembic_ini=values["fastapi_db_alembic_ini"],
            migrate=values["fastapi_db_migrate"],
            metadata=values["fastapi_db_metadata"],
            seed=values["fastapi_db_seed"],
            url_env=values["fastapi_db_url_env"],
            engine=values["fastapi_db_engine"],
            sync_engine=values["fastapi_db_sync_engine"],
            hasher=values["fastapi_db_hasher"],
            hasher_param=values["fastapi_db_hasher_param"],
            database_fixtures=tuple(values["fastapi_db_database_fixtures"]),
        )

    @property
    def active(self) -> bool:
        """Whether the suite configured a schema source: without one the plugin stays out of
        the way (no run directory, no database, no guard), as a plugin installed for another
        project in the same environment should."""
        return bool(self.alembic_ini or self.migrate or self.metadata)

    def dependency(self) -> Callable[..., Any] | None:
        """The session dependency, imported; None when not configured."""
        if not self.session_dependency:
            return None
        dependency = resolve(self.session_dependency, "fastapi_db_session_dependency")
        if not callable(dependency):
            raise ConfigError(
                f"fastapi_db_session_dependency = {self.session_dependency}: not a callable"
            )
        return dependency  # type: ignore[no-any-return]

    def is_async(self) -> bool:
        """Whether the app's sessions are async, from its session dependency (none: sync)."""
        dependency = self.dependency()
        return dependency is not None and is_async_dependency(dependency)

    def callable_at(self, key: str, path: str) -> Callable[..., Any] | None:
        if not path:
            return None
        found = resolve(path, key)
        if not callable(found):
            raise ConfigError(f"{key} = {path}: not a callable")
        return found  # type: ignore[no-any-return]

    def make_sync_engine(self) -> Callable[[str], Engine]:
        return self.callable_at("fastapi_db_sync_engine", self.sync_engine) or default_sync_engine

    def make_engine(self) -> Callable[[str], Any]:
        """The factory of the tests' engine in the app's flavour."""
        factory = self.callable_at("fastapi_db_engine", self.engine)
        if factory is not None:
            return factory
        return default_async_engine if self.is_async() else self.make_sync_engine()

    def schema(self) -> Schema:
        metadata = resolve(self.metadata, "fastapi_db_metadata") if self.metadata else None
        if metadata is not None and not isinstance(metadata, MetaData):
            raise ConfigError(
                f"fastapi_db_metadata = {self.metadata}: not a MetaData "
                "(for a declarative base, name its `.metadata`)"
            )
        alembic_ini = None
        if self.alembic_ini:
            alembic_ini = self.rootdir / self.alembic_ini
            if not alembic_ini.is_file():
                raise ConfigError(
                    f"fastapi_db_alembic_ini = {self.alembic_ini}: no such file {alembic_ini} "
                    "(the path is relative to the rootdir, where pytest.ini is)"
                )
        if alembic_ini is None and not self.migrate and metadata is None:
            raise ConfigError(
                "no schema source: add `fastapi_db_alembic_ini = alembic.ini` (migrations) or "
                "`fastapi_db_metadata = yourapp.models:Base.metadata` (create_all) to the ini file"
            )
        return Schema(
            sync_engine=self.make_sync_engine(),
            alembic_ini=alembic_ini,
            migrate=self.callable_at("fastapi_db_migrate", self.migrate),
            metadata=metadata,
            seed=self.callable_at("fastapi_db_seed", self.seed),
            url_env=self.url_env or None,
        )
