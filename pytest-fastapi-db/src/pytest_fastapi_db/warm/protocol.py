"""What the client and the server share: where a server lives and the messages they exchange.

Standard library only: the client imports this module, and its start-up is part of what a
developer waits for. One server per checkout and environment: its key is a hash of the
checkout's root and the interpreter, its socket in a private directory with a short path (a
unix socket's path has a 104-byte limit on macOS, 108 on Linux, which a long TMPDIR exceeds).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import struct
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

VERSION = 1
# macOS's sun_path is 104 bytes with its terminating NUL; Linux's 108.
SOCKET_PATH_LIMIT = 103
# Files that mark a checkout's root, as pytest looks for its configuration.
ROOT_MARKERS = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg", ".git")
IDLE_ENV = "PYTEST_WARM_IDLE"
DEFAULT_IDLE_S = 30 * 60
HEADER = struct.Struct("!I")
MAX_MESSAGE = 16 * 1024 * 1024


def log(message: str) -> None:
    """A line of the warm server's log (its stderr)."""
    print(time.strftime("%H:%M:%S"), message, file=sys.stderr, flush=True)


class WarmError(Exception):
    """Something the user must fix before a warm run can happen; the text says what and how."""


def checkout_root(cwd: Path) -> Path:
    """The nearest directory at or above `cwd` holding pytest's configuration or `.git`."""
    for folder in (cwd, *cwd.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return cwd


def base_dir() -> Path:
    """The user's private directory for warm servers: XDG_RUNTIME_DIR when short, else /tmp.

    Never TMPDIR: on macOS it is a 50-character path, too long for the socket inside it.
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    parent = Path(runtime) if runtime and len(runtime) < 40 and os.path.isdir(runtime) else None
    return (parent or Path("/tmp")) / f"pytest-warm-{os.getuid()}"


class Place:
    """Where the server for one checkout and interpreter keeps its files.

    A plain class, not a dataclass: importing dataclasses (and inspect under it) would add to
    the start-up of every client.
    """

    def __init__(self, root: Path, executable: str, base: Path) -> None:
        self.root = root
        self.executable = executable
        self.base = base

    @classmethod
    def for_cwd(cls, cwd: Path, executable: str = sys.executable) -> Place:
        return cls(checkout_root(cwd), executable, base_dir())

    @property
    def key(self) -> str:
        text = f"{self.root}\0{os.path.realpath(self.executable)}\0{self.executable}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def folder(self) -> Path:
        """The server's own directory (socket, PostgreSQL), removed when it exits."""
        return self.base / self.key

    @property
    def socket(self) -> Path:
        return self.folder / "s"

    @property
    def lock(self) -> Path:
        """Held by the one server of this key for its whole life; outlives the folder."""
        return self.base / f"{self.key}.lock"

    @property
    def log(self) -> Path:
        return self.base / f"{self.key}.log"

    @property
    def modules(self) -> Path:
        """The third-party modules runs imported, learned across servers' lives."""
        return self.base / f"{self.key}.modules"

    def make_base(self) -> None:
        """Create the private base directory, or say why an existing one cannot be trusted."""
        try:
            self.base.mkdir(mode=0o700, parents=False, exist_ok=True)
        except OSError as error:
            raise WarmError(f"cannot create {self.base}: {error}") from None
        info = self.base.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise WarmError(f"{self.base} is not a directory of yours: remove it and run again")
        if info.st_mode & 0o077:
            raise WarmError(f"{self.base} is open to other users: `chmod 700 {self.base}`")
        if len(os.fsencode(self.socket)) > SOCKET_PATH_LIMIT:
            raise WarmError(
                f"the socket path {self.socket} is longer than {SOCKET_PATH_LIMIT} bytes: "
                "set XDG_RUNTIME_DIR to a short directory of yours"
            )


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    """One message: a length, then JSON; `fds` go along in the first sendmsg (SCM_RIGHTS)."""
    body = json.dumps(message).encode()
    data = HEADER.pack(len(body)) + body
    sent = socket.send_fds(sock, [data], fds) if fds else sock.send(data)
    if sent < len(data):
        sock.sendall(data[sent:])


def receive(sock: socket.socket, maxfds: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """The next message and the fds that came with it; (None, []) when the peer has gone.

    Reads exactly one message, so a second one already on its way stays for the next call.
    """
    fds: list[int] = []
    if maxfds:
        head, fds, _flags, _address = socket.recv_fds(sock, HEADER.size, maxfds)
    else:
        head = sock.recv(HEADER.size)
    whole = _read_rest(sock, head, HEADER.size)
    if whole is None:
        return None, fds
    (size,) = HEADER.unpack(whole)
    if size > MAX_MESSAGE:
        raise WarmError(f"a message of {size} bytes on the warm server's socket: refusing it")
    body = _read_rest(sock, b"", size)
    if body is None:
        return None, fds
    message: dict[str, Any] = json.loads(body)
    return message, fds


def _read_rest(sock: socket.socket, data: bytes, size: int) -> bytes | None:
    if not data and size:
        data = sock.recv(size)
        if not data:
            return None
    while len(data) < size:
        more = sock.recv(size - len(data))
        if not more:
            return None
        data += more
    return data
