"""`pytest-warm [pytest's arguments]`: a pytest run, warm when it can be exact, else cold.

Standard library only, and little of it: this process's own start-up is part of what the
developer waits for. It finds the server of this checkout and interpreter (protocol.Place),
hands it argv, cwd, environment, umask and its own stdin/stdout/stderr, forwards the signals
it gets to the run's process group, and exits with the run's code. Where warm cannot be exact
(no fork, xdist, coverage, CI, an option it does not know) or no server is ready yet, it runs
pytest itself (cold) and says why in one line. `pytest-warm stop` and `pytest-warm status`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from typing import Any

from pytest_fastapi_db.warm.protocol import VERSION, Place, WarmError, receive, send

# Options known to give the same run warm as cold: pytest's own and those of the plugins this
# plugin is used with (pytest --help lists them). Those taking a value, as a separate argument
# or joined to a short option (-kEXPR), are in VALUE_OPTIONS.
FLAG_OPTIONS = frozenset(
    """
    --asyncio-debug --cache-clear --clean-durations --co --collect-in-virtualenv --collect-only
    --collectonly --continue-on-collection-errors --disable-plugin-autoload
    --disable-pytest-warnings --disable-warnings --doctest-continue-on-failure
    --doctest-ignore-import-errors --doctest-modules --exitfirst --failed-first --ff --fixtures
    --fixtures-per-test --force-short-summary --full-trace --fulltrace --funcargs --help
    --keep-duplicates --keepduplicates --last-failed --lf --markers --new-first --nf
    --no-fold-skipped --no-header --no-showlocals --no-summary --noconftest --pdb --pyargs
    --quiet --randomly-dont-reorganize --randomly-dont-reset-seed --runxfail --setup-only
    --setup-plan --setup-show --setuponly --setupplan --setupshow --showlocals --stepwise
    --stepwise-reset --stepwise-skip --store-durations --strict --strict-config
    --strict-markers --sw --sw-reset --sw-skip --test-alembic
    --timeout-disable-debugger-detection --trace --trace-config --traceconfig --verbose
    --version --xfail-tb -V -h -l -q -s -v -x --cache-show --debug
    --database-tests-only --real-password-hashing --fastapi-db-doctor
""".split()  # noqa: SIM905 - a table, as pytest --help lists them
)  # fmt: skip
VALUE_OPTIONS = frozenset(
    """
    --alembic-exclude --alembic-tests-path --anyio-mode --assert --asyncio-mode --basetemp
    --capture --code-highlight --color --confcutdir --config-file --deselect --doctest-glob
    --doctest-report --durations --durations-min --durations-path --group --ignore
    --ignore-glob --import-mode --junit-prefix --junit-xml --junitprefix --junitxml
    --last-failed-no-failures --lfnf --log-auto-indent --log-cli-date-format --log-cli-format
    --log-cli-level --log-date-format --log-disable --log-file --log-file-date-format
    --log-file-format --log-file-level --log-file-mode --log-format --log-level --max-warnings
    --maxfail --override-ini --pastebin --pdbcls --pythonwarnings --randomly-seed
    --report-chars --rootdir --session-timeout --show-capture --splits --splitting-algorithm
    --tb --timeout --timeout-method --timeout_method --verbosity -W -c -k -m -o -p -r
    --db --db-url --db-isolation
""".split()  # noqa: SIM905 - a table, as pytest --help lists them
)  # fmt: skip
# Where a warm run could not be the same as a cold one, and why, by option prefix.
COLD_OPTIONS = (
    (("-n", "--numprocesses", "--maxprocesses", "--dist", "-d", "--tx", "--px", "--rsyncdir",
      "--rsyncignore", "--looponfail", "-f", "--max-worker-restart", "--testrunuid",
      "--maxschedchunk", "--loadscope-reorder", "--no-loadscope-reorder"),
     "xdist starts worker processes of its own"),
    (("--cov", "--no-cov"), "coverage must see the whole process from its start"),
)  # fmt: skip
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
           signal.SIGUSR2)  # fmt: skip
SERVER_MODULE = "pytest_fastapi_db.warm.server"


def say(message: str) -> None:
    print(f"pytest-warm: {message}", file=sys.stderr, flush=True)


def cold_reason(args: Sequence[str], env: dict[str, str]) -> str | None:
    """Why this run must be cold, in a few words, or None when warm gives the same run."""
    if not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX"):
        return "this platform cannot fork"
    if env.get("CI", "").lower() not in ("", "0", "false", "no"):
        return "CI is set (a CI job runs once, cold, as it always has)"
    arguments = iter(args)
    for arg in arguments:
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            continue
        name = arg.partition("=")[0]
        for names, why in COLD_OPTIONS:
            if any(name == cold or name.startswith(f"{cold}-") for cold in names):
                return f"{arg}: {why}"
            if not arg.startswith("--") and any(arg.startswith(cold) for cold in names):
                return f"{arg}: {why}"
        if name in FLAG_OPTIONS:
            continue
        if name in VALUE_OPTIONS:
            if "=" not in arg:
                next(arguments, None)
            continue
        if not arg.startswith("--"):
            takes_next = short_takes_next(arg[1:])
            if takes_next is not None:
                if takes_next:
                    next(arguments, None)
                continue
        return f"{arg} is not an option the warm runner knows gives the same run"
    return None


def short_takes_next(letters: str) -> bool | None:
    """For `-xvs`, `-kEXPR`, `-rA`, `-k EXPR`: None if a letter is not known, else whether the
    next argument is the value of the last letter."""
    for index, letter in enumerate(letters):
        if f"-{letter}" in VALUE_OPTIONS:
            return index == len(letters) - 1
        if f"-{letter}" not in FLAG_OPTIONS:
            return None
    return False


def pytest_command() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "pytest")
    return [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "pytest"]


def run_cold(args: Sequence[str], why: str) -> NoReturn:
    say(f"cold run: {why}")
    command = pytest_command()
    os.execv(command[0], [*command, *args])


def lock_is_held(place: Place) -> bool:
    try:
        fd = os.open(place.lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def start_server(place: Place) -> None:
    """The server, in a session of its own (no terminal, no signal from it), logging to a file."""
    import subprocess

    with open(place.log, "a") as log:
        subprocess.Popen(
            [sys.executable, "-m", SERVER_MODULE, str(place.root)],
            cwd=place.root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def connect(place: Place) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(place.socket))
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        return None
    return sock


def run(args: list[str]) -> NoReturn:
    env = dict(os.environ)
    why = cold_reason(args, env)
    if why is not None:
        run_cold(args, why)
    place = Place.for_cwd(Path.cwd())
    try:
        place.make_base()
    except WarmError as error:
        run_cold(args, str(error))
    sock = connect(place)
    if sock is None:
        if lock_is_held(place):
            run_cold(args, "the warm server is still starting")
        start_server(place)
        run_cold(args, f"started a warm server for {place.root} (its log: {place.log})")
    request = {"command": "run", "version": VERSION, "args": args, "cwd": os.getcwd(),
               "env": env, "umask": current_umask(), "script": pytest_command()[0]}  # fmt: skip
    send(sock, request, fds=[0, 1, 2])
    reply, _fds = receive(sock)
    if reply is None or "run" not in reply:
        sock.close()
        if reply is not None and "cold" in reply:
            run_cold(args, reply["cold"])  # the server starts afresh by itself
        run_cold(args, f"the warm server did not take the run ({reply})")
    pid: int = reply["run"]
    forward_signals(pid)
    result = wait_result(sock)
    if result is None:
        say("the warm server went away during the run; ending it")
        signal_group(pid, signal.SIGKILL)
        sys.exit(1)
    exit_as(result)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def forward_signals(pgid: int) -> None:
    def forward(number: int, frame: object) -> None:
        signal_group(pgid, number)

    for number in SIGNALS:
        signal.signal(number, forward)


def signal_group(pgid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, number)


def wait_result(sock: socket.socket) -> int | None:
    try:
        reply, _fds = receive(sock)
    except OSError:
        return None
    if reply is None or "exit" not in reply:
        return None
    code: int = reply["exit"]
    return code


def exit_as(code: int) -> NoReturn:
    """Exit as the run did: with its code, or killed by the same signal."""
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        time.sleep(1)
    sys.exit(code)


def command(place: Place, message: dict[str, Any]) -> dict[str, Any] | None:
    sock = connect(place)
    if sock is None:
        return None
    with sock:
        send(sock, message)
        reply, _fds = receive(sock)
        return reply


def status() -> int:
    place = Place.for_cwd(Path.cwd())
    reply = command(place, {"command": "status"})
    if reply is None:
        starting = " (one is starting)" if lock_is_held(place) else ""
        print(f"no warm server for {place.root} with {sys.executable}{starting}")
        return 1
    info = reply["status"]
    up = time.time() - info["started"]
    print(f"warm server {info['pid']} for {info['root']} with {info['python']}: up {up:.0f} s, "
          f"{info['runs']} runs ({info['running']} running), {info['modules']} modules loaded, "
          f"exits after {info['idle_s']:.0f} s idle; log {info['log']}")  # fmt: skip
    return 0


def stop() -> int:
    place = Place.for_cwd(Path.cwd())
    reply = command(place, {"command": "stop"})
    if reply is None:
        print(f"no warm server for {place.root} with {sys.executable}")
        return 0
    pid = reply["stopping"]
    for _ in range(100):
        if not pid_alive(pid):
            break
        time.sleep(0.05)
    print(f"stopped the warm server {pid} for {place.root}")
    return 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str] | None = None) -> NoReturn:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["stop"] and len(args) == 1:
        sys.exit(stop())
    if args[:1] == ["status"] and len(args) == 1:
        sys.exit(status())
    try:
        run(args)
    except WarmError as error:
        say(str(error))
        sys.exit(4)


if __name__ == "__main__":
    main()
