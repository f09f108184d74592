"""Runs of the suite's own pytest in a child process, to watch what a whole run does.

A child runs with this checkout's pytest.ini and fixture package (`-p tests.fixtures`) on test
files a test writes into its tmp_path, with TMPDIR pointed into that tmp_path too, so the run
directory it makes (and whatever it leaves) is seen apart from every other run's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pytest_fastapi_db.run_dirs import RUN_DIR_PREFIX, RUN_VARIABLES, worker_name

from tools import ROOT

# How long a child run may take. Generous: a child pays a whole pytest start-up (and on
# PostgreSQL a server's), and on a loaded 2-core machine that has taken 30 s and more. The
# limit only decides how long a stuck child takes to fail its test.
CHILD_TIMEOUT = 150
# For the tests that start child runs: pytest.ini's 60 s per test would cut them off first.
CHILD_RUN_TEST_TIMEOUT = pytest.mark.timeout(2 * CHILD_TIMEOUT + 60)
# Set by the run this test is part of; a child must start as a run of its own.
INHERITED = RUN_VARIABLES


def child_tmpdir(run_dir: Path, tmp_path: Path) -> Path:
    """A TMPDIR for a child run that may start its own PostgreSQL: in this run's directory.

    A server the child starts is linked from the child's run directory, so when this run ends,
    or the next run sweeps it after a kill, the server a child left is found there and stopped
    (pytest_fastapi_db.run_dirs). Under tmp_path it would be found by nothing.
    """
    folder = run_dir / "children" / f"{worker_name()}-{tmp_path.name}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def child_env(tmpdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a child run: its own TMPDIR, none of this run's markers."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in INHERITED}
    # `-p tests.fixtures` is imported before pytest.ini's `pythonpath` applies.
    env.update(TMPDIR=str(tmpdir), PYTHONPATH=str(ROOT), **extra)
    return env


def pytest_command(*args: str | Path) -> list[str]:
    """pytest with this checkout's configuration and fixtures, on the files given."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(ROOT / "pytest.ini"),
        "--rootdir",
        str(ROOT),
        "-p",
        "tests.fixtures",
        "-p",
        "no:cacheprovider",  # the generated failures must not land in the checkout's --lf
        *map(str, args),
    ]


def run_captured(
    command: list[str], env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """A child process to its end (CHILD_TIMEOUT at most), its output captured."""
    return subprocess.run(
        command,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )


def run_pytest(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A child run (`pytest_command(*args)`) to its end, its output captured."""
    return run_captured(pytest_command(*args), env)


def run_tests(
    root: Path, source: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`source` as a test file in `root`/suite, run in a child to its end; the child's TMPDIR is
    `root`/tmp unless `env` says otherwise."""
    suite = root / "suite"
    suite.mkdir(parents=True, exist_ok=True)
    tests = suite / "test_generated.py"
    tests.write_text(textwrap.dedent(source))
    return run_pytest(tests, *args, env=env if env is not None else child_env(root / "tmp"))


def run_dirs(tmpdir: Path, pid: int | None = None) -> list[Path]:
    """Run directories in `tmpdir`, of the run whose controller had `pid` if given."""
    prefix = f"{RUN_DIR_PREFIX}{pid}-" if pid is not None else RUN_DIR_PREFIX
    return sorted(tmpdir.glob(f"{prefix}*"))
