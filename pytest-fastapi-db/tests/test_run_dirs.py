"""What a killed run left is swept by the next one: its directory, and the server it started.

A tool names the server it started with `record_server` (its pid and command line in
`server.pid`); one killed outright leaves that server running, and the next start ends it,
if that pid still runs the command recorded. Here a shell stands in for the server.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_fastapi_db.run_dirs import (
    OWNER_FILE,
    SERVER_FILE,
    make_run_dir,
    record_server,
    sweep_abandoned_run_dirs,
)

PREFIX = "fastapi-db-sweep-test-"


def dead_pid() -> int:
    """The pid of a process that has exited."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


@pytest.fixture
def server() -> Iterator[subprocess.Popen[bytes]]:
    """A process group led by a shell, standing in for a server; yielded once the shell runs
    (until it has exec'd, its command line is still this process's, and `record_server` would
    record that one)."""
    process = subprocess.Popen(
        ["sh", "-c", "echo ready; sleep 60; :", "server"],
        start_new_session=True,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    process.stdout.close()
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def abandoned(parent: Path, owner: int, server_pid: int | None) -> Path:
    folder = parent / f"{PREFIX}{owner}-x"
    folder.mkdir()
    (folder / OWNER_FILE).write_text(str(owner))
    if server_pid is not None:
        record_server(folder, server_pid)
    return folder


def test_a_dead_owners_directory_goes_with_its_server(tmp_path, server):
    folder = abandoned(tmp_path, dead_pid(), server.pid)

    assert sweep_abandoned_run_dirs(tmp_path, PREFIX) == [folder]

    assert not folder.exists()
    assert server.wait(timeout=10) != 0  # killed, not finished


def test_a_live_owners_directory_and_server_stay(tmp_path, server):
    folder = make_run_dir(PREFIX, tmp_path)  # owned by this process
    record_server(folder, server.pid)

    assert sweep_abandoned_run_dirs(tmp_path, PREFIX) == []

    assert folder.is_dir()
    assert server.poll() is None


def test_a_pid_now_given_to_another_program_is_left_alone(tmp_path):
    """A server pid from an old file may since belong to something else: only a process whose
    command line is the one recorded is ended."""
    other = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        folder = abandoned(tmp_path, dead_pid(), None)
        (folder / SERVER_FILE).write_text(f"{other.pid}\nsh -c sleep 60; : server ")

        assert sweep_abandoned_run_dirs(tmp_path, PREFIX) == [folder]

        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
