"""The fixtures a suite uses, whatever its app's kind (the session ones: aio_fixtures.py for an
async app, sync_fixtures.py for a sync one; plugin.py registers the one that fits).

Building the app costs more than a test's whole database isolation, so each worker builds one
(`fastapi_app`) and every test gets it (`app`) with its own database session put in through
`app.dependency_overrides`, removed again at teardown; a test that finds an override an earlier
one left fails.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from sqlalchemy import Engine

from pytest_fastapi_db.config import ConfigError, resolve
from pytest_fastapi_db.databases import TestDatabases
from pytest_fastapi_db.engines import sync_url
from pytest_fastapi_db.overrides import Override, returning
from pytest_fastapi_db.passwords import FastHasher, fast_password_hash
from pytest_fastapi_db.plugin import config_key, databases_key, run_dir_key, stashed
from pytest_fastapi_db.run_dirs import worker_name
from pytest_fastapi_db.schema import Schema

if TYPE_CHECKING:
    from fastapi import FastAPI
    from pwdlib import PasswordHash

T = TypeVar("T")
_empties = itertools.count(1)


@pytest.fixture(scope="session")
def run_dir(pytestconfig: pytest.Config) -> Path:
    """This run's temporary directory, shared by all workers, removed at the end."""
    return stashed(pytestconfig, run_dir_key)


@pytest.fixture(scope="session")
def test_databases(pytestconfig: pytest.Config) -> TestDatabases:
    """The run's databases: `.create(name)` copies the template (its URL), `.drop(name)`."""
    return stashed(pytestconfig, databases_key)


@pytest.fixture(scope="session")
def database_url(test_databases: TestDatabases) -> Iterator[str]:
    """This worker's own database, a fresh copy of the run's template (the app's URL flavour)."""
    url = test_databases.create(worker_name())
    yield url
    test_databases.release(worker_name())


@pytest.fixture(scope="session")
def sync_database_url(database_url: str) -> str:
    """The worker's database with a sync driver."""
    return sync_url(database_url)


@pytest.fixture(scope="session")
def fastapi_db_schema(pytestconfig: pytest.Config) -> Schema:
    """The configured schema source (`--db-isolation=recreate` runs it per test)."""
    return pytestconfig.stash[config_key].schema()


@pytest.fixture(scope="session")
def sync_engine(pytestconfig: pytest.Config, sync_database_url: str) -> Iterator[Engine]:
    """A sync engine on the worker's database, for schema work and for checking the app's."""
    engine = pytestconfig.stash[config_key].make_sync_engine()(sync_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def empty_database_url(test_databases: TestDatabases) -> Iterator[str]:
    """The sync URL of an empty database on the run's engine, private to the test."""
    name = f"{worker_name()}_empty_{next(_empties)}"
    url = test_databases.create_empty(name)
    yield sync_url(url)
    test_databases.drop(name)


@pytest.fixture(scope="session")
def password_hash(pytestconfig: pytest.Config) -> PasswordHash | None:
    """The fast hasher for the app, or None with `--real-password-hashing` (the app's own)."""
    if pytestconfig.getoption("--real-password-hashing"):
        return None
    return fast_password_hash()


@pytest.fixture(scope="session")
def _fastapi_db_hasher(
    pytestconfig: pytest.Config, password_hash: PasswordHash | None
) -> Iterator[None]:
    """With ini `fastapi_db_hasher`: the app's module-level `PasswordHash` made to hash fast for
    the session (and still verify the original's hashes); put back at the end.

    Changed in place, through its public `hashers` and `current_hasher`, rather than replaced on
    its module: an app that did `from app.security import password_hash` elsewhere holds the same
    object, so every copy hashes fast."""
    path = pytestconfig.stash[config_key].hasher
    if not path or password_hash is None:
        yield
        return
    hasher = resolve(path, "fastapi_db_hasher")
    if not hasattr(hasher, "hashers") or not hasattr(hasher, "current_hasher"):
        raise ConfigError(f"fastapi_db_hasher = {path}: not a pwdlib PasswordHash")
    saved = hasher.hashers, hasher.current_hasher
    hasher.hashers = (FastHasher(), *saved[0])
    hasher.current_hasher = hasher.hashers[0]
    try:
        yield
    finally:
        hasher.hashers, hasher.current_hasher = saved


def fixture_or_none(request: pytest.FixtureRequest, name: str) -> tuple[bool, Any]:
    """(True, the value) of the fixture `name`, or (False, None) when the suite has none."""
    try:
        return True, request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return False, None


@pytest.fixture(scope="session")
def fastapi_app(
    request: pytest.FixtureRequest, password_hash: PasswordHash | None, _fastapi_db_hasher: None
) -> FastAPI:
    """The one app of this worker, from ini `fastapi_db_app`: the app itself, or a factory
    called once. Each of the factory's parameters gets the fixture of its name (the suite's
    `settings`, say), the one `fastapi_db_hasher_param` names the fast hasher. Tests use `app`."""
    settings = request.config.stash[config_key]
    if not settings.app:
        raise ConfigError(
            "no app: add `fastapi_db_app = yourapp.main:app` (an app or a factory) to the ini "
            "file, or define a `fastapi_app` fixture in conftest.py"
        )
    found = resolve(settings.app, "fastapi_db_app")
    if hasattr(found, "dependency_overrides"):
        return found  # type: ignore[no-any-return]
    if not callable(found):
        raise ConfigError(f"fastapi_db_app = {settings.app}: neither an app nor a factory")
    parameters = inspect.signature(found).parameters
    if settings.hasher_param and settings.hasher_param not in parameters:
        raise ConfigError(
            f"fastapi_db_hasher_param = {settings.hasher_param}: {settings.app} takes no such "
            "parameter"
        )
    arguments: dict[str, Any] = {}
    for name, parameter in parameters.items():
        if name == settings.hasher_param:
            if password_hash is not None:  # else the factory's own default: production's
                arguments[name] = password_hash
            continue
        exists, value = fixture_or_none(request, name)
        if exists:
            arguments[name] = value
        elif parameter.default is inspect.Parameter.empty:
            raise ConfigError(
                f"fastapi_db_app = {settings.app}: its parameter {name!r} has no default and "
                f"no fixture of that name gives it: define a `{name}` fixture"
            )
    return found(**arguments)  # type: ignore[no-any-return]


@pytest.fixture
def app(
    request: pytest.FixtureRequest, fastapi_app: FastAPI, session_override: Callable[..., Any]
) -> Iterator[FastAPI]:
    """The app with this test's database session in place of its own, and the overrides of the
    suite's `fastapi_db_overrides` fixture, if it has one (a dict: dependency -> replacement)."""
    leaked = dict(fastapi_app.dependency_overrides)
    fastapi_app.dependency_overrides.clear()
    if leaked:
        pytest.fail(f"dependency overrides leaked from an earlier test: {list(leaked)}")
    dependency = request.config.stash[config_key].dependency()
    if dependency is not None:
        fastapi_app.dependency_overrides[dependency] = session_override
    _, overrides = fixture_or_none(request, "fastapi_db_overrides")
    fastapi_app.dependency_overrides.update(overrides or {})
    try:
        yield fastapi_app
    finally:
        fastapi_app.dependency_overrides.clear()


@pytest.fixture
def override(app: FastAPI) -> Override:
    """`override(dependency, value)`: routes get `value` for this test (gone at its end)."""

    def put(dependency: Callable[..., Any], value: object) -> None:
        app.dependency_overrides[dependency] = returning(value)

    return put
