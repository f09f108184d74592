"""The plugin's library modules, used directly as a bench or a script uses them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pytest_fastapi_db.databases import SqliteDatabases
from pytest_fastapi_db.engines import async_url, default_sync_engine, sync_url
from pytest_fastapi_db.isolation import rolled_back_sync_connection, sync_session_on
from pytest_fastapi_db.passwords import FAST_PREFIX, fast_password_hash
from pytest_fastapi_db.processes import alive
from pytest_fastapi_db.schema import Schema, environment
from sqlalchemy import Column, Integer, MetaData, Table, func, select, text

metadata = MetaData()
things = Table("things", metadata, Column("id", Integer, primary_key=True))


@pytest.mark.parametrize(
    ("sync", "flavoured"),
    [
        ("sqlite:////tmp/a.sqlite3", "sqlite+aiosqlite:////tmp/a.sqlite3"),
        ("postgresql+psycopg://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
    ],
)
def test_urls_go_between_the_two_flavours(sync: str, flavoured: str):
    assert async_url(sync) == flavoured
    assert sync_url(flavoured) == sync
    assert sync_url(sync) == sync  # already sync
    assert async_url("mysql://h/d") == "mysql://h/d"  # a dialect the plugin does not know


def test_a_sync_session_commits_into_a_savepoint_that_the_outer_rollback_undoes(tmp_path: Path):
    databases = SqliteDatabases(tmp_path, is_async=False)
    schema = Schema(sync_engine=default_sync_engine, metadata=metadata)
    assert schema.describe() == "metadata: create_all"
    databases.build_template(schema.build)
    url = databases.create("w")
    assert url.startswith("sqlite:///")
    assert databases.exists("w")
    engine = default_sync_engine(url)
    try:
        with rolled_back_sync_connection(engine) as connection:
            with sync_session_on(connection) as session:
                session.execute(things.insert())
                session.commit()
            assert connection.scalar(select(func.count()).select_from(things)) == 1
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(things)) == 0
        schema.recreate(engine)
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM things")) == 0
    finally:
        engine.dispose()
    databases.drop("w")
    assert not databases.exists("w")
    empty = databases.create_empty("e")
    assert empty.endswith("db-e.sqlite3")
    databases.close()
    assert not databases.template.exists()


def test_the_fast_hasher_keeps_the_originals_hashes_verifying():
    pwdlib = pytest.importorskip("pwdlib")
    original = pwdlib.PasswordHash.recommended()
    real = original.hash("pw")
    fast = fast_password_hash(original)
    assert fast.hash("pw").startswith(FAST_PREFIX)
    assert fast.verify("pw", real)
    assert not fast.verify("other", fast.hash("pw"))


def test_an_environment_variable_is_set_then_put_back(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FASTAPI_DB_TEST_VARIABLE", "before")
    with environment("FASTAPI_DB_TEST_VARIABLE", "during"):
        assert os.environ["FASTAPI_DB_TEST_VARIABLE"] == "during"
    assert os.environ["FASTAPI_DB_TEST_VARIABLE"] == "before"
    monkeypatch.delenv("FASTAPI_DB_TEST_VARIABLE")
    with environment("FASTAPI_DB_TEST_VARIABLE", "during"), environment(None, "ignored"):
        pass
    assert "FASTAPI_DB_TEST_VARIABLE" not in os.environ


def test_a_process_is_alive_while_it_runs():
    assert alive(os.getpid())
    assert alive(1)  # someone else's live process (or ours as root): alive either way
