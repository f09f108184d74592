"""The plugin's options and hooks; pytest loads this module through the `pytest11` entry point.

The controlling process (the only one without xdist) makes the run directory, picks the engine,
reaches or starts the server and builds the template with the suite's schema source; it hands
all of that to the xdist workers through the environment. Each worker copies the template into
a database of its own (fixtures.py). At the end, on failure and on Ctrl-C, the controller drops
what the run made and removes its directory; a run killed outright is swept by the next one.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import TypeVar

import pytest

from pytest_fastapi_db import config as fastapi_db_config
from pytest_fastapi_db.config import FastapiDbConfig
from pytest_fastapi_db.databases import (
    ENGINES,
    PostgresDatabases,
    SqliteDatabases,
    TestDatabases,
    run_id,
    sweep_abandoned_databases,
)
from pytest_fastapi_db.databases import Engine as EngineName
from pytest_fastapi_db.postgres import (
    DB_URL_ENV,
    DatabaseSetupError,
    PostgresAddress,
    check_server,
    start_server,
    stop_server,
)

# The names a conftest may need early live in the library (importing this module from a
# conftest would come before pytest registers it): re-exported here as before.
from pytest_fastapi_db.run_dirs import DATABASES_ENV as DATABASES_ENV
from pytest_fastapi_db.run_dirs import RUN_DIR_ENV as RUN_DIR_ENV
from pytest_fastapi_db.run_dirs import RUN_DIR_PREFIX as RUN_DIR_PREFIX
from pytest_fastapi_db.run_dirs import make_run_dir, remove_run_dir
from pytest_fastapi_db.run_dirs import worker_name as worker_name
from pytest_fastapi_db.warm.postgres import warm_postgres
from pytest_fastapi_db.warm.templates import warm_sqlite

pytest_plugins = [
    "pytest_fastapi_db.fixtures",
    "pytest_fastapi_db.network",
    "pytest_fastapi_db.shards",
    *(
        ["pytest_fastapi_db.doctor"]
        if importlib.util.find_spec("pytest_fastapi_db.doctor") is not None
        else []
    ),
]

T = TypeVar("T")
config_key = pytest.StashKey[FastapiDbConfig]()
run_dir_key = pytest.StashKey[Path]()
databases_key = pytest.StashKey[TestDatabases]()
# The folder the run's own server is linked from (pytest_fastapi_db.postgres.SERVER_LINK).
own_server_key = pytest.StashKey[Path]()
# The fixtures through which a test reaches the run's databases (by any path of fixtures).
DATABASE_FIXTURES = frozenset({"database_url", "empty_database_url", "test_databases"})


NOT_CONFIGURED = (
    "pytest-fastapi-db is not configured: add a schema source to the ini file, "
    "`fastapi_db_alembic_ini = alembic.ini` (migrations) or "
    "`fastapi_db_metadata = yourapp.models:Base.metadata` (create_all)"
)


def stashed(config: pytest.Config, key: pytest.StashKey[T]) -> T:
    """What the plugin stashed at configure, or the one line that configures it."""
    try:
        return config.stash[key]
    except KeyError:
        raise fastapi_db_config.ConfigError(NOT_CONFIGURED) from None


def is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def engine_name(text: str) -> EngineName:
    """`--db`'s type: a known engine, or an error that names the one meant."""
    for engine in ENGINES:
        if text == engine:
            return engine
    hint = " (did you mean postgresql?)" if text.lower() in ("postgres", "pg", "psql") else ""
    raise argparse.ArgumentTypeError(
        f"unknown engine {text!r}{hint}: choose one of {', '.join(ENGINES)}"
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    fastapi_db_config.register(parser)
    group = parser.getgroup("fastapi_db", "pytest-fastapi-db (the test databases)")
    group.addoption(
        "--db",
        type=engine_name,
        default=None,
        help="the database engine: sqlite (default, embedded) or postgresql (a server this run "
        "starts itself, or the one --db-url names)",
    )
    group.addoption(
        "--db-url",
        default=None,
        metavar="URL",
        help="a PostgreSQL server to use instead of starting one, e.g. "
        f"postgresql://user:password@localhost:5432/postgres (also {DB_URL_ENV}); "
        "the role needs CREATEDB. Implies --db=postgresql",
    )
    group.addoption(
        "--db-isolation",
        choices=("rollback", "recreate"),
        default="rollback",
        help="rollback: one transaction per test, undone at the end (default); "
        "recreate: drop and create all tables per test (slow, for benchmarks)",
    )
    group.addoption(
        "--database-tests-only",
        action="store_true",
        help="deselect the tests that never reach the test database (their outcome does not "
        "depend on the engine): run them once, on SQLite",
    )
    group.addoption(
        "--real-password-hashing",
        action="store_true",
        help="hash with the app's own hasher, as production does (slow, for benchmarks)",
    )


def chosen_engine(config: pytest.Config) -> EngineName:
    engine: EngineName | None = config.getoption("--db")
    if engine is None:
        return "postgresql" if server_url(config) else "sqlite"
    return engine


def server_url(config: pytest.Config) -> str | None:
    url: str | None = config.getoption("--db-url")
    return url or os.environ.get(DB_URL_ENV) or None


def open_databases(
    config: pytest.Config, settings: FastapiDbConfig, run_dir: Path
) -> TestDatabases:
    """The controller's side: pick the engine, reach or start the server, build the template."""
    is_async = settings.is_async()
    schema = settings.schema()
    warm_sqlite_databases = warm_sqlite(run_dir, is_async)  # a warm run (pytest-warm)?
    if chosen_engine(config) == "sqlite":
        databases: TestDatabases = warm_sqlite_databases or SqliteDatabases(
            run_dir, is_async=is_async
        )
    elif (warm := warm_postgres(is_async, run_id(os.getpid()))) is not None:
        databases = warm  # a warm run (pytest-warm): its server's PostgreSQL and template
    else:
        url = server_url(config)
        if url is None:
            config.stash[own_server_key] = run_dir  # first: a failed start is stopped too
            address = start_server(run_dir)
        else:
            address = PostgresAddress.from_url(url)
            check_server(address)
            sweep_abandoned_databases(address)
        databases = PostgresDatabases(
            address, run_id(os.getpid()), own_server=url is None, is_async=is_async
        )
    databases.build_template(schema.build)
    return databases


def describe(databases: TestDatabases) -> dict[str, str]:
    shared = {"async": "yes" if databases.is_async else ""}
    if isinstance(databases, PostgresDatabases):
        server = databases.address.url(databases.address.maintenance_db, "psycopg")
        own = "yes" if databases.own_server else ""
        return shared | {
            "engine": "postgresql",
            "server": server,
            "run_id": databases.run_id,
            "own": own,
        }
    assert isinstance(databases, SqliteDatabases)
    return shared | {
        "engine": "sqlite",
        "folder": str(databases.folder),
        "template": str(databases.template),
    }


def reopen(description: dict[str, str]) -> TestDatabases:
    """The worker's side: the databases the controller described."""
    is_async = bool(description["async"])
    if description["engine"] == "sqlite":
        folder, template = Path(description["folder"]), Path(description["template"])
        return SqliteDatabases(folder, is_async=is_async, template=template)
    address = PostgresAddress.from_url(description["server"])
    return PostgresDatabases(
        address, description["run_id"], own_server=bool(description["own"]), is_async=is_async
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        configure(config)
    except (fastapi_db_config.ConfigError, DatabaseSetupError) as error:
        stop_own_server(config)
        raise pytest.UsageError(str(error)) from None


def configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "allow_network: may open outbound (non-loopback) connections; keep for tests that "
        "really need them",
    )
    # Here rather than in `pytest_plugins`: after every entry point, so its `anyio_backend`
    # overrides the one of anyio's own plugin (whichever registers last wins).
    config.pluginmanager.import_plugin("pytest_fastapi_db.aio")
    settings = FastapiDbConfig.from_pytest(config)
    config.stash[config_key] = settings
    if not settings.active:
        return
    # The session fixtures of the app's kind: async (AsyncSession, httpx) or sync (Session,
    # TestClient), from its session dependency.
    kind = "aio_fixtures" if settings.is_async() else "sync_fixtures"
    if importlib.util.find_spec(f"pytest_fastapi_db.{kind}") is not None:
        config.pluginmanager.import_plugin(f"pytest_fastapi_db.{kind}")
    if not is_controller(config):
        config.stash[run_dir_key] = Path(os.environ[RUN_DIR_ENV])
        config.stash[databases_key] = reopen(json.loads(os.environ[DATABASES_ENV]))
        return
    run_dir = make_run_dir(RUN_DIR_PREFIX)  # after sweeping what killed runs left
    config.stash[run_dir_key] = run_dir
    os.environ[RUN_DIR_ENV] = str(run_dir)  # inherited by xdist workers, started later
    databases = open_databases(config, settings, run_dir)
    config.stash[databases_key] = databases
    os.environ[DATABASES_ENV] = json.dumps(describe(databases))  # inherited by xdist workers


def stop_own_server(config: pytest.Config) -> None:
    owner = config.stash.get(own_server_key, None)
    if owner is not None:
        stop_server(owner)


def pytest_unconfigure(config: pytest.Config) -> None:
    # pytest calls this after a failure and after KeyboardInterrupt too.
    if not is_controller(config):
        return
    databases = config.stash.get(databases_key, None)
    try:
        if databases is not None:
            databases.close()
    except Exception as error:  # the server went away (a Ctrl-C reaches it too): say so, go on
        print(
            f"\ncould not drop this run's test databases: {error}\n"
            "The next run on this machine drops them.",
            file=sys.stderr,
        )
    finally:
        stop_own_server(config)
        os.environ.pop(DATABASES_ENV, None)
        run_dir = config.stash.get(run_dir_key, None)
        if run_dir is not None:
            remove_run_dir(run_dir)
            os.environ.pop(RUN_DIR_ENV, None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-tests-only"):
        return
    reaching = DATABASE_FIXTURES | set(config.stash[config_key].database_fixtures)
    # `fixturenames` is the whole fixture closure of a test.
    uses_database = {
        item: not reaching.isdisjoint(getattr(item, "fixturenames", ())) for item in items
    }
    config.hook.pytest_deselected(items=[item for item in items if not uses_database[item]])
    items[:] = [item for item in items if uses_database[item]]


def pytest_report_header(config: pytest.Config) -> list[str]:
    databases = config.stash.get(databases_key, None)
    if databases is None:
        return ["pytest-fastapi-db: not configured (no fastapi_db_* schema source in the ini)"]
    where = "sqlite"
    if isinstance(databases, PostgresDatabases):
        where = f"postgresql at {databases.address.describe()}"
    return [
        f"test run directory: {config.stash[run_dir_key]} (removed at exit)",
        f"database: {where}",
    ]
