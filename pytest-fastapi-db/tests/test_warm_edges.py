"""The warm runner's parts called directly: the protocol's refusals and the client against a
stand-in server on a real unix socket (the preloader and a child run's exits are in
test_warm_preload_and_child.py). The whole-run proofs are in test_warm.py; these are the edges.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_fastapi_db.postgres import DB_URL_ENV
from pytest_fastapi_db.warm import client
from pytest_fastapi_db.warm.postgres import wants_postgres
from pytest_fastapi_db.warm.protocol import (
    HEADER,
    MAX_MESSAGE,
    Place,
    WarmError,
    checkout_root,
    receive,
    send,
)
from support import CHILD_TIMEOUT

# Protocol.


def test_the_checkout_root_is_the_nearest_folder_with_a_marker(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert checkout_root(deep) == deep  # nothing above marks a checkout: where we are
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    assert checkout_root(deep) == tmp_path


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a path short enough for a unix socket (tmp_path's is not, always)."""
    folder = Path(tempfile.mkdtemp(prefix="pfd-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_base_that_cannot_be_made_or_trusted_is_refused(short_dir: Path) -> None:
    def base_error(base: Path) -> str:
        with pytest.raises(WarmError) as raised:
            Place(short_dir, sys.executable, base).make_base()
        return str(raised.value)

    assert base_error(short_dir / "no" / "base").startswith(f"cannot create {short_dir}/no/base")
    real = short_dir / "real"
    real.mkdir(mode=0o700)
    (short_dir / "link").symlink_to(real)
    assert "is not a directory of yours: remove it" in base_error(short_dir / "link")
    real.chmod(0o755)
    assert base_error(real) == f"{real} is open to other users: `chmod 700 {real}`"
    real.chmod(0o700)
    Place(short_dir, sys.executable, real).make_base()  # trusted


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ends = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    yield ends
    for end in ends:
        end.close()


def test_a_message_arriving_in_pieces_is_read_whole(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    writer, reader = pair
    body = b'{"exit": 3}'
    data = HEADER.pack(len(body)) + body
    writer.sendall(data[:2])
    sender = threading.Timer(0.05, writer.sendall, (data[2:],))
    sender.start()
    try:
        assert receive(reader) == ({"exit": 3}, [])
    finally:
        sender.join()


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(b"", id="nothing"),
        pytest.param(HEADER.pack(10)[:2], id="half-a-header"),
        pytest.param(HEADER.pack(10), id="a-header-alone"),
        pytest.param(HEADER.pack(10) + b'{"a"', id="part-of-the-body"),
    ],
)
def test_a_peer_gone_mid_message_is_no_message(
    pair: tuple[socket.socket, socket.socket], sent: bytes
) -> None:
    writer, reader = pair
    writer.sendall(sent)
    writer.close()
    assert receive(reader) == (None, [])


def test_an_oversized_message_is_refused(pair: tuple[socket.socket, socket.socket]) -> None:
    writer, reader = pair
    writer.sendall(HEADER.pack(MAX_MESSAGE + 1))
    with pytest.raises(WarmError, match=f"a message of {MAX_MESSAGE + 1} bytes .* refusing it"):
        receive(reader)


# The client.


def test_a_short_option_taking_a_value_last_in_a_group_takes_the_next_argument() -> None:
    assert client.cold_reason(["-vk", "-n", "test_x.py"], {}) is None  # `-n` is -k's value
    assert client.cold_reason(["-vZ"], {}) == (
        "-vZ is not an option the warm runner knows gives the same run"
    )
    assert client.short_takes_next("xv") is False


def test_a_message_to_the_user_names_the_runner(capsys: pytest.CaptureFixture[str]) -> None:
    client.say("cold run: CI is set")
    assert capsys.readouterr().err == "pytest-warm: cold run: CI is set\n"


@pytest.fixture
def checkout(short_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    """A checkout as the current directory, its warm servers' base in a short folder of ours,
    CI unset (a run in CI goes cold), and the signal handlers a run installs put back."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short_dir))
    monkeypatch.delenv("CI", raising=False)
    handlers = {number: signal.getsignal(number) for number in client.SIGNALS}
    place = Place.for_cwd(tmp_path)
    place.make_base()
    yield place
    for number, handler in handlers.items():
        signal.signal(number, handler)


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def test_status_and_stop_without_a_server_say_so(
    checkout: Place, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not client.lock_is_held(checkout)  # no lock file at all
    with pytest.raises(SystemExit) as stopped:
        client.main(["stop"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"no warm server for {checkout.root} with {sys.executable}\n"
    with held(checkout.lock):
        assert client.lock_is_held(checkout)
        with pytest.raises(SystemExit) as status:
            client.main(["status"])
    assert status.value.code == 1
    assert capsys.readouterr().out.endswith(" (one is starting)\n")
    assert not client.lock_is_held(checkout)  # the lock file stays, unheld


def test_the_client_runs_as_a_module_too(checkout: Place) -> None:
    command = [sys.executable, "-m", "pytest_fastapi_db.warm.client", "status"]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            timeout=CHILD_TIMEOUT)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(f"no warm server for {checkout.root} with ")


class StandIn:
    """A server on the checkout's socket that takes one run and answers with `replies`."""

    def __init__(self, place: Place, replies: list[bytes]) -> None:
        place.folder.mkdir(mode=0o700)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(place.socket))
        self.listener.listen()
        self.replies = replies
        self.request: dict[str, Any] | None = None
        self.fds = 0
        self.thread = threading.Thread(target=self.serve)
        self.thread.start()

    def serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            self.request, fds = receive(connection, maxfds=3)
            self.fds = len(fds)
            for fd in fds:
                os.close(fd)
            for reply in self.replies:
                connection.sendall(reply)

    def close(self) -> None:
        self.thread.join(timeout=CHILD_TIMEOUT)
        self.listener.close()


def message(value: dict[str, Any]) -> bytes:
    writer, reader = socket.socketpair()
    with writer, reader:
        send(writer, value)
        return reader.recv(MAX_MESSAGE)


@pytest.fixture
def group() -> Iterator[subprocess.Popen[bytes]]:
    """A process leading a group of its own, standing for a run's process group."""
    process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    yield process
    process.kill()
    process.wait()


def run_client(place: Place, replies: list[bytes], args: list[str]) -> tuple[int, StandIn]:
    server = StandIn(place, replies)
    try:
        with pytest.raises(SystemExit) as exited:
            client.main(args)
    finally:
        server.close()
    # The client leaves its socket to the process's exit, which here does not come: close it.
    # (From the traceback of the exit, or of the error it was raised while handling.)
    for error in (exited.value, exited.value.__context__):
        for frame, _line in traceback.walk_tb(error.__traceback__ if error else None):
            sock = frame.f_locals.get("sock")
            if isinstance(sock, socket.socket):
                sock.close()
    assert isinstance(exited.value.code, int)
    return exited.value.code, server


def test_the_client_hands_over_its_run_and_exits_with_its_code(
    checkout: Place, group: subprocess.Popen[bytes]
) -> None:
    replies = [message({"run": group.pid}), message({"exit": 5})]
    code, server = run_client(checkout, replies, ["-q", "test_x.py"])
    assert code == 5
    assert server.fds == 3  # stdin, stdout and stderr
    assert server.request is not None
    assert server.request["args"] == ["-q", "test_x.py"]
    assert server.request["cwd"] == str(checkout.root)
    assert server.request["env"]["XDG_RUNTIME_DIR"] == os.environ["XDG_RUNTIME_DIR"]
    assert server.request["umask"] == client.current_umask()
    assert group.poll() is None  # the run ended by itself: nothing sent to its group


@pytest.mark.parametrize(
    "last", [pytest.param(b"", id="closed"), pytest.param(b"{}", id="no-exit-code")]
)
def test_a_server_gone_mid_run_ends_the_runs_process_group(
    checkout: Place,
    group: subprocess.Popen[bytes],
    capsys: pytest.CaptureFixture[str],
    last: bytes,
) -> None:
    replies = [message({"run": group.pid}), message({"note": 1}) if last else b""]
    code, _server = run_client(checkout, replies, ["-q"])
    assert code == 1
    assert group.wait(timeout=5) == -signal.SIGKILL
    assert "the warm server went away during the run; ending it" in capsys.readouterr().err


def test_a_garbled_reply_is_a_clear_error(
    checkout: Place, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _server = run_client(checkout, [HEADER.pack(MAX_MESSAGE + 1)], ["-q"])
    assert code == 4
    assert "refusing it" in capsys.readouterr().err


def test_a_process_is_alive_until_it_has_ended() -> None:
    process = subprocess.Popen(["sleep", "30"])
    assert client.pid_alive(process.pid)
    process.kill()
    process.wait()
    assert not client.pid_alive(process.pid)


@pytest.mark.parametrize(
    ("args", "env", "wanted"),
    [
        (["--db=postgresql"], {}, True),
        (["-q", "--db", "postgresql"], {}, True),
        (["--db", "sqlite"], {}, False),
        (["--db=postgresql", "--db-url=postgresql://u@h/d"], {}, False),
        (["--db=postgresql"], {DB_URL_ENV: "postgresql://u@h/d"}, False),
    ],
)
def test_the_server_keeps_postgresql_warm_only_for_runs_that_would_start_their_own(
    args: list[str], env: dict[str, str], wanted: bool
) -> None:
    assert wants_postgres(args, env) is wanted
