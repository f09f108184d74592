"""The warm server's lifetime: never stale (a changed environment retires it), a killed
client or server leaves nothing behind, two clients at once, status and stop, and what old
servers left is forgotten."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from pytest_fastapi_db.warm.spares import FORGET_AFTER_S
from support import (
    CHILD_RUN_TEST_TIMEOUT,
    CHILD_TIMEOUT,
)
from warm_support import (
    CLIENT,
    SLEEPER,
    Project,
    ended,
    wait_for,
)


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
@pytest.mark.parametrize("change", ["lock", "environment"])
def test_a_changed_environment_retires_the_server(project: Project, change: str) -> None:
    project.warm_up("test_passes.py")
    if change == "lock":
        (project.root / "uv.lock").write_text("# a dependency changed\n")
    else:
        project.env["PYTHONWARNINGS"] = "default"
    stale = project.run("test_passes.py")
    assert stale.returncode == 0
    assert "pytest-warm: cold run:" in stale.stderr
    assert ("uv.lock changed" if change == "lock" else "PYTHONWARNINGS") in stale.stderr
    # The server finished its runs and started afresh (the same process, a new interpreter).
    project.wait_for_server()
    assert "retiring:" in project.log()
    again = project.run("test_passes.py")
    assert "cold run" not in again.stderr, again.stderr


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_killing_the_client_ends_the_run_within_a_second(project: Project, tmp_path: Path) -> None:
    (project.root / "test_sleeps.py").write_text(textwrap.dedent(SLEEPER))
    project.warm_up("test_passes.py")
    started = tmp_path / "started"
    project.env["STARTED_FILE"] = str(started)
    client = subprocess.Popen([CLIENT, "test_sleeps.py"], cwd=project.root, env=project.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    run_pid = int(wait_for(started))
    client.kill()
    client.wait()
    killed = time.monotonic()
    while not ended(run_pid) and time.monotonic() - killed < 1.0:
        time.sleep(0.01)
    assert ended(run_pid), f"the run {run_pid} outlived its client by a second"


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_a_killed_server_leaves_nothing_after_the_next_call(project: Project) -> None:
    project.warm_up("test_passes.py")
    old = project.server_pid()
    assert old is not None
    os.kill(old, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not ended(old):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert project.place.folder.exists()  # its socket and pid file, left behind
    after = project.run("test_passes.py")
    assert after.returncode == 0
    assert "started a warm server" in after.stderr
    new = project.wait_for_server()
    assert new != old
    assert (project.place.folder / "server.pid").read_text() == str(new)
    assert "sweeping" in project.log()
    project.run("stop")
    assert not project.place.folder.exists()
    assert ended(new)


BARRIER = """
    import os
    import time
    from pathlib import Path


    def test_meets_the_other():
        here = Path(os.environ["BARRIER"])
        (here / os.environ["NAME"]).write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while len(list(here.iterdir())) < 2:  # both runs at once, or neither passes
            assert time.monotonic() < deadline
            time.sleep(0.02)
"""


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_two_clients_at_once_each_get_their_own_run(project: Project, tmp_path: Path) -> None:
    (project.root / "test_barrier.py").write_text(textwrap.dedent(BARRIER))
    project.warm_up("test_passes.py")
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    clients = [
        subprocess.Popen(
            [CLIENT, "test_barrier.py"],
            cwd=project.root,
            env={**project.env, "BARRIER": str(barrier), "NAME": name},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    results = [client.communicate(timeout=CHILD_TIMEOUT) for client in clients]
    assert [client.returncode for client in clients] == [0, 0], results
    assert all("cold run" not in stderr for _stdout, stderr in results)
    pids = {path.read_text() for path in barrier.iterdir()}
    assert len(pids) == 2


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_status_and_stop(project: Project) -> None:
    none = project.run("status")
    assert none.returncode == 1
    assert "no warm server" in none.stdout
    project.warm_up("test_passes.py")
    status = project.run("status")
    assert status.returncode == 0
    assert f"for {project.root} with {sys.executable}" in status.stdout
    pid = project.server_pid()
    stopped = project.run("stop")
    assert f"stopped the warm server {pid}" in stopped.stdout
    assert pid is not None
    assert ended(pid)
    assert not project.place.folder.exists()
    assert not project.place.socket.exists()


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_a_new_server_forgets_servers_unused_for_a_week(project: Project) -> None:
    """Lock, log and learned modules of other checkouts' servers go after a week unused (and a
    killed one's folder with them), unless their lock is held or they were used lately."""
    base = project.place.base
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    week_ago = time.time() - FORGET_AFTER_S - 60

    def leave(key: str, when: float) -> None:
        for suffix in (".lock", ".log", ".modules"):
            path = base / f"{key}{suffix}"
            path.write_text("")
            os.utime(path, (when, when))

    leave("gone", week_ago)
    (base / "gone").mkdir()
    leave("recent", time.time())
    leave("held", week_ago)
    held = os.open(base / "held.lock", os.O_RDWR)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        project.warm_up("test_passes.py")
    finally:
        os.close(held)
    assert not list(base.glob("gone*"))
    assert (base / "recent.modules").exists()
    assert (base / "held.log").exists()
