"""Start-up and the schema: development migrates, production refuses, and both say why.

`prepare_schema` is what the lifespan and `python -m backend` run before serving; `main()` is
run in-process with the environment monkeypatched and uvicorn replaced, so no server starts.
Every database here is a SQLite file of the test's own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import backend.__main__ as entry_point
from backend import schema
from backend.config import Environment
from backend.db import build_async_engine, build_sync_engine
from backend.main import create_app
from backend.models import Base
from backend.schema import (
    DatabaseUnreachable,
    SchemaNotReady,
    downgrade,
    head_revision,
    is_current,
    migrate,
    prepare_schema,
    upgrade,
)
from tests.helpers import sqlite_file, table_names
from tests.test_config import PRIVATE_SECRET, SETTINGS_VARIABLES
from tests.test_main import private_settings
from tools import ROOT

BACKEND = ROOT / "backend"


def async_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def version(path: Path) -> str | None:
    with sqlite_file(path) as connection:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def made_with(path: Path, *steps: str) -> Path:
    """A database file migrated through `steps` ("head", "base", ...) with the sync API."""
    engine = build_sync_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            for step in steps:
                (upgrade if step == "head" else downgrade)(connection, step)
    finally:
        engine.dispose()
    return path


def outdated(path: Path) -> Path:
    """Migrated once, then taken back to base: a version table and no app tables."""
    return made_with(path, "head", "base")


def legacy(path: Path) -> Path:
    """Tables made without migrations (the app before it had them: create_all)."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()
    return path


async def prepared(path: Path, *, may_migrate: bool) -> None:
    engine = build_async_engine(async_url(path))
    try:
        await prepare_schema(engine, may_migrate=may_migrate)
    finally:
        await engine.dispose()


@pytest.mark.slow
class TestPrepareSchemaMigrating:
    """Development and test: a new or outdated database is brought to head."""

    async def test_a_new_database_is_created_at_head(self, tmp_path):
        database = tmp_path / "new.sqlite3"

        await prepared(database, may_migrate=True)

        assert version(database) == head_revision()
        assert table_names(database) >= set(Base.metadata.tables)

    async def test_an_outdated_database_is_migrated(self, tmp_path):
        database = outdated(tmp_path / "old.sqlite3")
        assert version(database) is None

        await prepared(database, may_migrate=True)

        assert version(database) == head_revision()
        assert table_names(database) >= set(Base.metadata.tables)

    async def test_a_current_database_is_left_alone(self, tmp_path):
        database = made_with(tmp_path / "db.sqlite3", "head")
        before = database.stat().st_mtime_ns

        await prepared(database, may_migrate=True)

        assert database.stat().st_mtime_ns == before

    async def test_migrate_and_is_current(self, tmp_path):
        engine = build_async_engine(async_url(tmp_path / "db.sqlite3"))
        try:
            assert not await is_current(engine)
            await migrate(engine)
            assert await is_current(engine)
            await migrate(engine)  # at head: nothing to do
            assert await is_current(engine)
        finally:
            await engine.dispose()


class TestPrepareSchemaRefusing:
    async def test_production_refuses_a_missing_database_and_creates_nothing(self, tmp_path):
        with pytest.raises(SchemaNotReady, match="has no schema yet") as raised:
            await prepared(tmp_path / "none.sqlite3", may_migrate=False)

        assert "alembic upgrade head" in str(raised.value)
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.slow
    async def test_production_refuses_an_outdated_database_and_changes_nothing(self, tmp_path):
        database = outdated(tmp_path / "old.sqlite3")
        before = table_names(database)

        with pytest.raises(SchemaNotReady, match="alembic upgrade head"):
            await prepared(database, may_migrate=False)

        assert table_names(database) == before
        assert version(database) is None

    @pytest.mark.slow
    async def test_production_serves_a_database_at_head(self, tmp_path):
        database = made_with(tmp_path / "db.sqlite3", "head")

        await prepared(database, may_migrate=False)

    @pytest.mark.parametrize("may_migrate", [True, False], ids=["development", "production"])
    async def test_tables_without_history_are_refused(self, tmp_path, may_migrate):
        """Migrating over them would fail half-way; stamping them blindly could lie."""
        database = legacy(tmp_path / "legacy.sqlite3")

        with pytest.raises(SchemaNotReady, match="no migration history") as raised:
            await prepared(database, may_migrate=may_migrate)

        assert "alembic stamp" in str(raised.value)
        assert version_table_absent(database)

    @pytest.mark.slow
    @pytest.mark.parametrize("may_migrate", [True, False], ids=["development", "production"])
    async def test_an_unknown_revision_is_refused(self, tmp_path, may_migrate):
        database = made_with(tmp_path / "db.sqlite3", "head")
        with sqlite_file(database) as connection:
            connection.execute("UPDATE alembic_version SET version_num = 'f00dfeedbeef'")

        with pytest.raises(SchemaNotReady, match="f00dfeedbeef, which this version"):
            await prepared(database, may_migrate=may_migrate)

    async def test_a_sqlite_file_in_a_missing_folder_is_unreachable(self, tmp_path):
        with pytest.raises(DatabaseUnreachable) as raised:
            await prepared(tmp_path / "no-such-folder" / "db.sqlite3", may_migrate=True)

        message = str(raised.value)
        assert message.startswith("cannot connect to the database at sqlite+aiosqlite:///")
        assert message.endswith("no-such-folder does not exist")
        assert list(tmp_path.iterdir()) == []

    async def test_a_sqlite_file_that_cannot_be_opened_is_one_clear_line(self, tmp_path):
        (tmp_path / "a-folder").mkdir()

        with pytest.raises(DatabaseUnreachable) as raised:
            await prepared(tmp_path / "a-folder", may_migrate=True)

        message = str(raised.value)
        assert message.startswith("cannot connect to the database at sqlite+aiosqlite:///")
        assert message.endswith("unable to open database file")
        assert "\n" not in message

    async def test_a_server_that_refuses_is_one_clear_line(self, unused_tcp_port):
        pytest.importorskip("asyncpg")
        url = f"postgresql+asyncpg://app:secret@127.0.0.1:{unused_tcp_port}/app"
        engine = build_async_engine(url)
        try:
            with pytest.raises(DatabaseUnreachable) as raised:
                await prepare_schema(engine, may_migrate=True)
        finally:
            await engine.dispose()

        message = str(raised.value)
        assert message.startswith(
            f"cannot connect to the database at postgresql+asyncpg://app:***@127.0.0.1:"
            f"{unused_tcp_port}/app: "
        )
        assert "secret" not in message
        assert "\n" not in message


def version_table_absent(path: Path) -> bool:
    return "alembic_version" not in table_names(path)


class TestLifespan:
    @pytest.mark.slow
    async def test_outside_production_it_migrates(self, tmp_path):
        database = outdated(tmp_path / "app.sqlite3")
        app = create_app(private_settings(tmp_path))

        async with app.router.lifespan_context(app):
            assert version(database) == head_revision()

    async def test_production_does_not_start_on_an_empty_database(self, tmp_path):
        settings = private_settings(
            tmp_path, app_env=Environment.PRODUCTION, jwt_secret=PRIVATE_SECRET
        )
        app = create_app(settings)

        with pytest.raises(SchemaNotReady, match="alembic upgrade head"):
            async with app.router.lifespan_context(app):
                pytest.fail("the app started")

        await app.state.engine.dispose()
        assert not (tmp_path / "app.sqlite3").exists()
        assert not (tmp_path / "media").exists()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Only the variables a test sets, a database and media folder in tmp_path, no .env."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", async_url(tmp_path / "app.sqlite3"))
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    return monkeypatch


@pytest.fixture
def served(env: pytest.MonkeyPatch) -> list[tuple[object, str, int]]:
    """uvicorn.run replaced: records what main() would have served."""
    calls: list[tuple[object, str, int]] = []
    env.setattr("uvicorn.run", lambda app, host, port: calls.append((app, host, port)))
    return calls


class TestMain:
    """`python -m backend`'s main(), in-process."""

    @pytest.mark.slow
    def test_development_migrates_then_serves(self, tmp_path, served, capsys):
        database = outdated(tmp_path / "app.sqlite3")

        assert entry_point.main() == 0

        assert len(served) == 1
        assert version(database) == head_revision()
        assert capsys.readouterr().err == ""

    @pytest.mark.slow
    def test_development_on_a_new_file_makes_the_schema(self, tmp_path, served):
        assert entry_point.main() == 0

        assert len(served) == 1
        assert version(tmp_path / "app.sqlite3") == head_revision()

    @pytest.mark.slow
    def test_production_refuses_an_outdated_database(self, tmp_path, env, served, capsys):
        database = outdated(tmp_path / "app.sqlite3")
        env.setenv("APP_ENV", "production")
        env.setenv("JWT_SECRET", PRIVATE_SECRET)

        assert entry_point.main() == 2

        err = capsys.readouterr().err
        assert err.startswith("Cannot start: the database at sqlite+aiosqlite:///")
        assert "alembic upgrade head" in err
        assert "DATABASE_URL" in err
        assert "Traceback" not in err
        assert served == []
        assert version(database) is None
        assert table_names(database) == {"alembic_version"}

    def test_production_refuses_a_missing_database_and_creates_nothing(
        self, tmp_path, env, served, capsys
    ):
        env.setenv("APP_ENV", "production")
        env.setenv("JWT_SECRET", PRIVATE_SECRET)

        assert entry_point.main() == 2

        assert "has no schema yet" in capsys.readouterr().err
        assert served == []
        assert list(tmp_path.iterdir()) == []

    def test_an_unreachable_database_is_one_line(self, tmp_path, env, served, capsys):
        env.setenv("DATABASE_URL", async_url(tmp_path / "missing" / "app.sqlite3"))

        assert entry_point.main() == 2

        err = capsys.readouterr().err
        assert err.startswith("Cannot start: cannot connect to the database at ")
        assert err.endswith("missing does not exist\n")
        assert err.count("\n") == 1
        assert served == []

    def test_a_missing_driver_names_the_extra_to_install(self, env, served, capsys):
        env.setenv("DATABASE_URL", "postgresql+asyncpg://app:secret@db.example/app")
        env.setitem(sys.modules, "asyncpg", None)  # import asyncpg fails, as when absent

        assert entry_point.main() == 2

        err = capsys.readouterr().err
        assert "asyncpg driver, which is not installed" in err
        assert "pip install -e '.[postgres]'" in err
        assert "secret" not in err
        assert "Traceback" not in err
        assert served == []

    def test_a_sync_database_url_is_refused_naming_the_variable(self, env, served, capsys):
        env.setenv("DATABASE_URL", "postgresql://app@db.example/app")

        assert entry_point.main() == 2

        err = capsys.readouterr().err
        assert "DATABASE_URL: " in err
        assert "postgresql+asyncpg://" in err
        assert served == []


def test_the_sqlite_file_check_ignores_memory_and_other_engines():
    from sqlalchemy.engine import make_url

    assert not schema._missing_sqlite_file(make_url("sqlite+aiosqlite://"))
    assert not schema._missing_sqlite_file(make_url("sqlite+aiosqlite:///:memory:"))
    assert not schema._missing_sqlite_file(make_url("postgresql+asyncpg://u@h/db"))
    assert schema._missing_sqlite_file(make_url("sqlite+aiosqlite:////nonexistent/x.db"))


def test_no_database_driver_is_imported_by_the_package_itself():
    """asyncpg (and psycopg) come in through SQLAlchemy, when a URL names them, never by an
    import in backend/: the SQLite-only install has neither."""
    offenders = []
    for path in sorted(BACKEND.rglob("*.py")):
        source = path.read_text()
        for driver in ("asyncpg", "psycopg"):
            if f"import {driver}" in source or f"from {driver}" in source:
                offenders.append((str(path.relative_to(BACKEND)), driver))
    assert offenders == []
