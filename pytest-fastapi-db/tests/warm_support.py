"""What the warm runner's tests share: a tiny project run warm or cold, under a terminal.

Each test gets a private server directory (XDG_RUNTIME_DIR, short), a tiny project of its own
(so a server of its own: one per checkout) and stops its server at the end (the `project`
fixture, in conftest.py). A warm run is compared with a cold run of the same arguments under a
pseudo-terminal, as a developer sees both; timings in the output are the only thing normalized.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

from pytest_fastapi_db.plugin import RUN_DIR_PREFIX
from pytest_fastapi_db.warm.protocol import Place
from support import (
    CHILD_TIMEOUT,
)

CLIENT = str(Path(sys.executable).with_name("pytest-warm"))
PYTEST = str(Path(sys.executable).with_name("pytest"))
# What differs between two runs, warm or cold: timings, and the run directory's name (a pid).
VARYING = re.compile(
    rb"\d+\.\d+s|\(\d+:\d\d:\d\d\)|" + re.escape(RUN_DIR_PREFIX.encode()) + rb"\d+-\w+"
)
# The server's modules learned in the first warm run are imported before the next.
SERVER_READY_TIMEOUT = 60.0

PASSING = """
    from tinyapp import Item


    def test_passes(db_session):
        assert Item.__tablename__ == "items"
"""

SLEEPER = """
    import os
    import time
    from pathlib import Path


    def test_sleeps():
        started = Path(os.environ["STARTED_FILE"])
        aside = started.with_name(started.name + ".partial")
        aside.write_text(str(os.getpid()))
        aside.replace(started)  # whole, at once
        time.sleep(60)
"""


@dataclass
class Project:
    """A tiny project and the environment its runs get (a private server directory)."""

    root: Path
    env: dict[str, str]

    def run(self, *args: str, warm: bool = True) -> subprocess.CompletedProcess[str]:
        command = [CLIENT if warm else PYTEST, *args]
        return subprocess.run(command, cwd=self.root, env=self.env, capture_output=True,
                              text=True, timeout=CHILD_TIMEOUT, check=False)  # fmt: skip

    def terminal(
        self, *args: str, warm: bool = True, interrupt_when: Path | None = None
    ) -> tuple[int, bytes]:
        return run_in_terminal([CLIENT if warm else PYTEST, *args], self.root, self.env,
                               interrupt_when)  # fmt: skip

    @property
    def place(self) -> Place:
        base = Path(self.env["XDG_RUNTIME_DIR"]) / f"pytest-warm-{os.getuid()}"
        return Place(self.root, sys.executable, base)

    def server_pid(self) -> int | None:
        status = self.run("status")
        match = re.match(r"warm server (\d+) ", status.stdout)
        return int(match.group(1)) if match else None

    def warm_up(self, *args: str) -> None:
        """Start the server and let it learn what these runs import: the next run is warm."""
        first = self.run(*args)
        assert "started a warm server" in first.stderr, first.stderr
        self.wait_for_server()
        second = self.run(*args)
        assert "cold run" not in second.stderr, second.stderr

    def wait_for_server(self) -> int:
        """The pid of the server, once it answers (it has loaded what it preloads)."""
        deadline = time.monotonic() + SERVER_READY_TIMEOUT
        while (pid := self.server_pid()) is None:
            assert time.monotonic() < deadline, self.log()
            time.sleep(0.1)
        return pid

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.place.log.read_text()
        return ""


def run_in_terminal(command: list[str], cwd: Path, env: dict[str, str],
                    interrupt_when: Path | None = None) -> tuple[int, bytes]:  # fmt: skip
    """Run `command` as the foreground job of a new pseudo-terminal, 100 columns wide; type
    Ctrl-C into it once `interrupt_when` exists. Returns the exit code and all it printed."""
    pid, master = pty.fork()
    if pid == 0:  # the child: exec, or leave without running the parent's code
        try:
            os.chdir(cwd)
            os.execve(command[0], command, env)
        finally:
            os._exit(127)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    output = bytearray()
    deadline = time.monotonic() + CHILD_TIMEOUT
    try:
        while True:
            if interrupt_when is not None and interrupt_when.exists():
                os.write(master, b"\x03")
                interrupt_when = None
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every end of the terminal is closed
                    data = b""
                if not data:
                    break
                output += data
            assert time.monotonic() < deadline, output.decode(errors="replace")
    finally:
        os.close(master)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL) if time.monotonic() >= deadline else None
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), bytes(output)


def normalized(output: bytes) -> bytes:
    return VARYING.sub(b"<varies>", output)


def ended(pid: int) -> bool:
    """Gone, or a zombie waiting for its parent: it runs no more."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def wait_for(path: Path, timeout: float = CHILD_TIMEOUT) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
    return path.read_text()
