"""Temporary run directories that a killed run cannot leave behind for good.

A run makes its directory with its own pid in it (`owner.pid`) and removes it at the end, on
failure and on Ctrl-C (`remove_run_dir`). A run killed outright (SIGKILL) cannot, so every
start sweeps the directories of its kind whose owner is gone. Removing one first stops what was
started from it: the PostgreSQL servers linked in it (pytest_fastapi_db.postgres keeps a server in a
short path of its own, linked from its owner's directory), and the server process a tool
recorded with `record_server` (its pid and command line in `server.pid`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

from pytest_fastapi_db.postgres import SERVER_LINK, stop_server
from pytest_fastapi_db.processes import alive

RUN_DIR_PREFIX = "fastapi-db-tests-"
# How the controller tells its workers where the run directory is and which databases it has.
RUN_DIR_ENV = "FASTAPI_DB_RUN_DIR"
DATABASES_ENV = "FASTAPI_DB_DATABASES"
# What a run (its controller, xdist, pytest) sets in the environment of the processes it starts:
# a pytest run started from inside a test drops these to be a run of its own.
RUN_VARIABLES = (
    RUN_DIR_ENV,
    DATABASES_ENV,
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "PYTEST_CURRENT_TEST",
    "PYTEST_ADDOPTS",
)


def worker_name() -> str:
    """This process's xdist worker id ("gw0", ...), or "main" without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


OWNER_FILE = "owner.pid"
# The pid (and process group) of a server a run started, and its command line.
SERVER_FILE = "server.pid"


def make_run_dir(prefix: str, parent: Path | None = None) -> Path:
    """A new directory `<prefix><pid>-*` owned by this process, after sweeping abandoned ones."""
    parent = parent or Path(tempfile.gettempdir())
    sweep_abandoned_run_dirs(parent, prefix)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))
    (run_dir / OWNER_FILE).write_text(str(os.getpid()))
    return run_dir


def sweep_abandoned_run_dirs(parent: Path, prefix: str) -> list[Path]:
    """Remove the `prefix` directories whose owner process no longer exists; return what went."""
    swept = []
    for candidate in parent.glob(f"{prefix}*"):
        owner = _pid_in(candidate / OWNER_FILE)
        if owner is None:
            continue  # not ours, or being created right now: leave it
        if not alive(owner):
            remove_run_dir(candidate)
            swept.append(candidate)
    return swept


def remove_run_dir(run_dir: Path) -> None:
    """Stop the servers started from `run_dir` (PostgreSQL servers linked in it, the run's own
    and any of a child run in it, with their directories; the process in `server.pid`), then
    remove `run_dir`."""
    # os.walk goes on past a folder that another sweep removes under it, and does not follow
    # the links (a link to a server's directory is listed with the folders once it exists).
    for folder, folders, files in os.walk(run_dir):
        if SERVER_LINK in folders or SERVER_LINK in files:
            stop_server(Path(folder))
    _end_process_group(run_dir / SERVER_FILE)
    shutil.rmtree(run_dir, ignore_errors=True)


def record_server(run_dir: Path, pid: int) -> None:
    """Note the server process `pid` (a process group leader) started from `run_dir`: removing
    `run_dir`, or sweeping it after a kill, ends that process group."""
    (run_dir / SERVER_FILE).write_text(f"{pid}\n{_command_line(pid)}")


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""  # no /proc (macOS), or gone meanwhile


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().split("\n")[0])
    except (OSError, ValueError):
        return None


def _end_process_group(server_file: Path) -> None:
    """Kill the process group a server led, if that pid still runs the command recorded (a pid
    from an old file may since have been given to an unrelated process)."""
    pid = _pid_in(server_file)
    if pid is None or not alive(pid):
        return
    recorded = server_file.read_text().partition("\n")[2]
    if recorded and recorded == _command_line(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
