"""`python -m backend` as a real server for a check: started, awaited, and always stopped.

Used by tools/package_check.py (does an installed package serve?), tools/contract_check.py
(does the served API keep its contract?) and tools/load.py (does it hold under many users?).
The server gets its own process group, so stopping it ends whatever it started, and a temporary
database (unless given one) and media folder in `run_dir`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

PACKAGE = "backend"
OUTPUT_TAIL = 60  # lines of a failed server's output shown


class NotServing(Exception):
    """The server exited or did not answer /health with 200 in time; says why, with its output."""


@dataclass(frozen=True)
class Server:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    started_in: float  # seconds until /health answered 200
    log: Path
    pid: int  # also its process group's id
    media_dir: Path


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def sigterm_as_ctrl_c() -> None:
    """A check killed with SIGTERM unwinds as on Ctrl-C: its `finally` clauses still stop the
    server and remove what it made."""
    signal.signal(signal.SIGTERM, _raise_interrupt)


def tail(text: str, lines: int = OUTPUT_TAIL) -> str:
    return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop(server: subprocess.Popen[bytes]) -> None:
    """End the server and whatever it started: its process group, TERM then KILL."""
    if server.poll() is not None:
        return
    if sys.platform == "win32":  # pragma: no cover
        server.kill()
        server.wait()
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        server.wait()


def wait_for_health(server: subprocess.Popen[bytes], url: str, timeout: float) -> str | None:
    """None once GET {url}/health answers 200, else why not (exited, or the last answer)."""
    health = f"{url}/health"
    last = "no answer yet"
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if server.poll() is not None:
            return f"the server exited with status {server.returncode}"
        try:
            with urllib.request.urlopen(health, timeout=5) as response:
                if response.status == 200:
                    return None
                last = f"{health} answered {response.status}"
        except urllib.error.HTTPError as error:
            last = f"{health} answered {error.code}"
        except (urllib.error.URLError, OSError) as error:
            last = f"{health}: {getattr(error, 'reason', error)}"
        time.sleep(0.2)
    return f"no 200 from {health} within {timeout:g} s (last: {last})"


@contextmanager
def serving(
    python: Path | str,
    run_dir: Path,
    env: Mapping[str, str],
    timeout: float,
    cwd: Path | None = None,
    database_url: str | None = None,
) -> Iterator[Server]:
    """`python -m backend` on a free port, migrating a new database (by default SQLite in
    `run_dir`; else the one `database_url` names).

    `cwd` defaults to `run_dir` (so only an installed package can be imported); the server's
    output goes to `run_dir/server.log`. NotServing, with that output, if it does not serve.
    """
    port = free_port()
    media_dir = run_dir / "media"
    server_env = {
        **env,
        "APP_ENV": "development",  # migrates the new database on start
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{run_dir / 'server.sqlite3'}",
        "MEDIA_DIR": str(media_dir),
    }
    log_path = run_dir / "server.log"
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(python), "-m", PACKAGE],
            cwd=cwd or run_dir,
            env=server_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=sys.platform != "win32",  # its own process group, for stop()
        )
        try:
            problem = wait_for_health(server, url, timeout)
            if problem is not None:
                stop(server)
                output = log_path.read_text(errors="replace")
                raise NotServing(
                    f"`python -m {PACKAGE}` did not serve: {problem}. Its output:\n{tail(output)}"
                )
            yield Server(url, time.monotonic() - started, log_path, server.pid, media_dir)
        finally:
            stop(server)
