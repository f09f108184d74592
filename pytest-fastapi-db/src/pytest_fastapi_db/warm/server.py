"""The warm server: one per checkout and environment, started in the background by the client.

It takes its lock (one server per key), sweeps what a killed predecessor left, imports the
third-party packages (preload), listens on its socket and forks one child per run from a
single thread (threads at fork time are copied half-way; the loop waits on a selector, a
SIGCHLD wakes it). Before each run it checks for staleness: on a change it answers "cold"
(the client runs that one cold), finishes the runs under way, and starts again fresh. It exits
after an idle time, on `stop`, on SIGTERM, or when its directory goes.
"""

from __future__ import annotations

import sys
import sysconfig

# The `pytest` console script runs with its own folder first on sys.path, not the directory the
# server was started from (python -m puts that there): the children inherit this.
SCRIPTS = sysconfig.get_path("scripts")
sys.path[0] = SCRIPTS

import contextlib  # noqa: E402
import fcntl  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import selectors  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from pytest_fastapi_db.warm import child  # noqa: E402
from pytest_fastapi_db.warm.preload import Preloader, assertion_pass_hook, thread_count  # noqa: E402
from pytest_fastapi_db.warm.protocol import (  # noqa: E402
    DEFAULT_IDLE_S,
    IDLE_ENV,
    VERSION,
    Place,
    WarmError,
    base_dir,
    log,
    receive,
    send,
)
from pytest_fastapi_db.warm.spares import Spares, forget_old_servers, remove_folder  # noqa: E402
from pytest_fastapi_db.warm.staleness import Snapshot  # noqa: E402

# A run whose client went away gets SIGINT (pytest cleans up), then SIGKILL this much later.
HANGUP_GRACE_S = 0.7
# How often an idle server looks whether its directory is still there.
CHECK_EVERY_S = 5.0


@dataclass
class Run:
    pid: int
    conn: socket.socket
    kill_at: float | None = None
    postgres_tag: str | None = None  # the schema's tag of a run on the warm PostgreSQL


class Server(Spares):
    def __init__(self, place: Place, idle_s: float) -> None:
        self.place = place
        self.idle_s = idle_s
        self.selector = selectors.DefaultSelector()
        self.runs: dict[int, Run] = {}
        self.by_conn: dict[socket.socket, Run] = {}
        self.started = time.time()
        self.last_active = time.monotonic()
        self.runs_started = 0
        self.retire_env: dict[str, str] | None = None
        self.stopping = ""
        self.listener: socket.socket | None = None
        self.lock_fd = -1
        self.wake_r, self.wake_w = os.pipe()
        self.postgres_url = None
        self.spare_tag = None
        self.helpers = {}
        self.snapshot = Snapshot.take(place.root, os.environ)
        self.preloader = Preloader(place.modules, assertion_pass_hook(place.root))

    # Start-up and shut-down

    def take_lock(self) -> bool:
        self.lock_fd = os.open(self.place.lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def prepare_folder(self) -> None:
        """Remove what a killed server left in the folder, then make it afresh (the lock says
        no live server owns it)."""
        if self.place.folder.exists():
            log(f"sweeping {self.place.folder}, left by a server that did not stop")
            remove_folder(self.place.folder)
        forget_old_servers(self.place)
        self.place.folder.mkdir(mode=0o700)
        (self.place.folder / "server.pid").write_text(str(os.getpid()))

    def listen(self) -> None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.place.socket))
        os.chmod(self.place.socket, 0o600)
        listener.listen(16)
        listener.setblocking(False)
        self.listener = listener
        self.socket_inode = os.stat(self.place.socket).st_ino
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda number, frame: None)
        signal.signal(signal.SIGTERM, lambda number, frame: self.stop("SIGTERM"))
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        self.selector.register(self.wake_r, selectors.EVENT_READ, "wake")

    def close_listener(self) -> None:
        if self.listener is None:
            return
        self.selector.unregister(self.listener)
        self.listener.close()
        self.listener = None
        with contextlib.suppress(OSError):
            if os.stat(self.place.socket).st_ino == self.socket_inode:
                os.unlink(self.place.socket)

    def stop(self, why: str) -> None:
        if not self.stopping:
            log(f"stopping: {why}")
        self.stopping = why
        self.close_listener()

    def retire(self, why: str, env: dict[str, str]) -> None:
        log(f"retiring: {why}")
        self.retire_env = env
        self.close_listener()

    def server_fds(self) -> list[int]:
        """What a child must not keep: above all the lock, which would outlive the server."""
        fds = [self.lock_fd, self.wake_r, self.wake_w, self.selector.fileno()]
        if self.listener is not None:
            fds.append(self.listener.fileno())
        fds.extend(conn.fileno() for conn in self.by_conn)
        return fds

    # The loop

    def serve(self) -> None:
        while True:
            if (self.stopping or self.retire_env is not None) and not self.runs:
                return
            for key, _mask in self.selector.select(self.timeout()):
                if key.data == "accept":
                    self.accept()
                elif key.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_r, 512)
                else:
                    self.client_readable(key.fileobj)  # type: ignore[arg-type]
            self.reap()
            self.kill_overdue()
            if not self.runs and time.monotonic() - self.last_active > self.idle_s:
                self.stop(f"idle for {self.idle_s:.0f} s")
            if self.listener is not None and not self.socket_still_ours():
                self.stop(f"{self.place.socket} is gone")

    def timeout(self) -> float:
        deadlines = [self.last_active + self.idle_s, time.monotonic() + CHECK_EVERY_S]
        deadlines.extend(run.kill_at for run in self.runs.values() if run.kill_at is not None)
        return max(0.0, min(deadlines) - time.monotonic())

    def socket_still_ours(self) -> bool:
        try:
            return os.stat(self.place.socket).st_ino == self.socket_inode
        except OSError:
            return False

    def accept(self) -> None:
        assert self.listener is not None
        try:
            conn, _address = self.listener.accept()
        except BlockingIOError:
            return
        self.last_active = time.monotonic()
        conn.setblocking(True)
        conn.settimeout(5)
        try:
            request, fds = receive(conn, maxfds=3)
        except (OSError, ValueError, WarmError) as error:
            log(f"bad request: {error}")
            conn.close()
            return
        if request is None:
            conn.close()
            return
        try:
            self.handle(conn, request, fds)
        except OSError as error:
            log(f"client went away: {error}")
            for fd in fds:
                os.close(fd)
            conn.close()

    def handle(self, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        command = request.get("command")
        if command == "status":
            send(conn, {"status": self.status()})
        elif command == "stop":
            send(conn, {"stopping": os.getpid()})
            self.stop("asked to")
        elif command == "run" and len(fds) == 3:
            cold = self.cold_reason(request)
            if cold is None:
                try:
                    tag = self.databases_for(request)
                except WarmError as error:
                    cold = str(error)
                else:
                    self.start_run(conn, request, fds, tag)
                    return
            send(conn, {"cold": cold})
        else:
            send(conn, {"error": f"not a request this server knows: {command!r}"})
        for fd in fds:
            os.close(fd)
        conn.close()

    def cold_reason(self, request: dict[str, Any]) -> str | None:
        if request.get("version") != VERSION:
            self.retire("a client of another version", request["env"])
            return "the warm server is of another version; a new one is starting"
        changed = self.snapshot.changed(request["env"])
        if changed is None and thread_count() != 1:
            changed = "a thread runs in the server"
        if changed is not None:
            self.retire(changed, request["env"])
            return f"{changed}; a new warm server is starting"
        return None

    def start_run(
        self, conn: socket.socket, request: dict[str, Any], fds: list[int], tag: str | None
    ) -> None:
        request["bytecode"] = str(self.place.folder / "bytecode")
        sys.stdout.flush()
        sys.stderr.flush()
        # What the server holds goes out of the collector's sight: a run's collections (pytest
        # makes one at its end) would otherwise walk, and copy page by page, the whole preload.
        gc.freeze()
        self.preloader.runs_own()  # judged here, once, not in every child
        pid = os.fork()
        if pid == 0:
            child.run(request, fds, self.server_fds(), self.preloader)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # the child does it too; whichever comes first
        for fd in fds:
            os.close(fd)
        run = Run(pid, conn, postgres_tag=tag)
        self.runs[pid] = run
        self.by_conn[conn] = run
        self.runs_started += 1
        self.selector.register(conn, selectors.EVENT_READ, "client")
        try:
            send(conn, {"run": pid})
        except OSError:
            self.hang_up(run)
        log(f"run {pid}: {' '.join(request['args'])}")

    def client_readable(self, conn: socket.socket) -> None:
        """A client with a run sends nothing more: readable means it closed (or died)."""
        try:
            data = conn.recv(64)
        except OSError:
            data = b""
        run = self.by_conn.get(conn)
        if not data and run is not None:
            self.selector.unregister(conn)
            self.hang_up(run)

    def hang_up(self, run: Run) -> None:
        if run.kill_at is None:
            log(f"run {run.pid}: its client went away; interrupting it")
            signal_group(run.pid, signal.SIGINT)
            run.kill_at = time.monotonic() + HANGUP_GRACE_S

    def kill_overdue(self) -> None:
        now = time.monotonic()
        for run in self.runs.values():
            if run.kill_at is not None and now >= run.kill_at:
                signal_group(run.pid, signal.SIGKILL)
                run.kill_at = now + HANGUP_GRACE_S

    def reap(self) -> None:
        while self.runs:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.helper_ended(pid, status):
                continue
            run = self.runs.pop(pid, None)
            if run is None:
                continue
            # Whatever the run started in its group goes with it, as when a terminal closes.
            signal_group(pid, signal.SIGKILL)
            code = os.waitstatus_to_exitcode(status)
            with contextlib.suppress(OSError):
                send(run.conn, {"exit": code})
            self.by_conn.pop(run.conn, None)
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(run.conn)
            run.conn.close()
            log(f"run {pid}: exit {code}")
            self.last_active = time.monotonic()
            self.after_run(run.postgres_tag)
            self.learn()

    def learn(self) -> None:
        if self.stopping or self.retire_env is not None:
            return
        loaded = self.preloader.learn()
        if loaded:
            self.snapshot.watch_modules()
            log(f"preloaded {len(loaded)} more modules ({len(sys.modules)} in all)")
        if self.preloader.threaded is not None:
            self.retire(self.preloader.threaded, dict(os.environ))

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "root": str(self.place.root),
            "python": sys.executable,
            "started": self.started,
            "runs": self.runs_started,
            "running": len(self.runs),
            "modules": len(sys.modules),
            "idle_s": self.idle_s,
            "log": str(self.place.log),
        }

    def clean_up(self) -> None:
        """Everything but the lock, which the process's end releases."""
        self.close_listener()
        self.end_helpers()
        remove_folder(self.place.folder)


def signal_group(pgid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, number)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m pytest_fastapi_db.warm.server CHECKOUT_ROOT", file=sys.stderr)
        return 2
    place = Place(Path(args[0]), sys.executable, base_dir())
    idle_s = float(os.environ.get(IDLE_ENV) or DEFAULT_IDLE_S)
    server = Server(place, idle_s)
    if not server.take_lock():
        log("another server holds the lock; leaving it the work")
        return 0
    log(f"server {os.getpid()} for {place.root} ({sys.executable})")
    try:
        server.prepare_folder()
        started = time.perf_counter()
        server.preloader.base()
        if server.preloader.threaded is not None:
            server.retire(server.preloader.threaded, dict(os.environ))
            return restart(server)
        server.snapshot.watch_modules()
        log(f"preloaded {len(sys.modules)} modules in {time.perf_counter() - started:.2f} s")
        server.listen()
        server.serve()
    finally:
        server.clean_up()
    return restart(server)


def restart(server: Server) -> int:
    """A retired server starts afresh, in the environment of the run that found it stale."""
    if server.retire_env is not None and not server.stopping:
        server.clean_up()
        log("starting afresh")
        os.chdir(server.place.root)
        os.execve(sys.executable, [sys.executable, "-m", __spec__.name, str(server.place.root)],
                  server.retire_env)  # fmt: skip
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
