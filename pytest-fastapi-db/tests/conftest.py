"""The plugin's own tests: pytester runs on a tiny app (support.py), never on the backend."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytester's in-process runs drop the modules they imported when they end; SQLAlchemy's
# PostgreSQL dialect registers functions globally on import, and warns (an error here) when a
# later run imports it again. Imported once here, it outlives every run.
import sqlalchemy.dialects.postgresql  # noqa: F401
from pytest_fastapi_db.postgres import stop_server
from pytest_fastapi_db.run_dirs import make_run_dir, remove_run_dir
from support import child_env, run_dirs, write_project
from warm_support import PASSING, Project


@pytest.fixture(scope="session")
def run_dir() -> Iterator[Path]:
    """A folder of this run's own (the plugin is not configured here), swept if killed."""
    folder = make_run_dir("fastapi-db-selftest-")
    yield folder
    remove_run_dir(folder)


@pytest.fixture
def child_tmpdir(run_dir: Path, tmp_path: Path) -> Iterator[Path]:
    """A TMPDIR for child runs, inside this run's directory: a server a child left is found
    (and stopped) when this run ends, or by the next run's sweep after a kill."""
    folder = run_dir / "children" / tmp_path.name
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    for child_run_dir in run_dirs(folder):
        stop_server(child_run_dir)


@pytest.fixture
def project(tmp_path: Path, child_tmpdir: Path) -> Iterator[Project]:
    """A tiny project of its own for a warm runner test, with a private server directory;
    its server is stopped at the end."""
    runtime = Path(tempfile.mkdtemp(prefix="w", dir="/tmp"))
    env = child_env(child_tmpdir, XDG_RUNTIME_DIR=str(runtime), PYTEST_WARM_IDLE="120")
    env.pop("CI", None)
    root = tmp_path / "project"
    write_project(root, PASSING, name="test_passes.py")
    made = Project(root, env)
    yield made
    made.run("stop")
    pid = made.server_pid()
    shutil.rmtree(runtime, ignore_errors=True)
    assert pid is None
