"""The plugin's own tests: pytester runs on a tiny app (support.py), never on the backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# pytester's in-process runs drop the modules they imported when they end; SQLAlchemy's
# PostgreSQL dialect registers functions globally on import, and warns (an error here) when a
# later run imports it again. Imported once here, it outlives every run.
import sqlalchemy.dialects.postgresql  # noqa: F401
from pytest_fastapi_db.postgres import stop_server
from pytest_fastapi_db.run_dirs import make_run_dir, remove_run_dir
from support import run_dirs


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
