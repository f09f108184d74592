"""One warm run: the forked child becomes what a cold `pytest ARGS` process would have been.

It takes the client's terminal as its fds 0, 1 and 2 (so colours, `--pdb`, `-s` and the width
work), its argv, cwd, umask and whole environment, leads a process group of its own (the
client forwards signals to it), forgets the server's files and every module from outside the
installed packages (a run imports the project, and this plugin, afresh), then runs pytest's
console entry point and exits as the interpreter would have.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import signal
import sys
import traceback
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from pytest_fastapi_db.warm.preload import Preloader, append_list

# Signals the server handles for itself, back to what a fresh interpreter has.
SERVER_SIGNALS = (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP)


def run(
    request: dict[str, Any], fds: list[int], server_fds: Iterable[int], preloader: Preloader
) -> None:
    """Never returns: the child's exit status is the run's."""
    code = 70  # EX_SOFTWARE, should anything below fail before pytest runs
    try:
        become(request, fds, server_fds, preloader)
        code = pytest_run(preloader)
    except BaseException:
        traceback.print_exc()
        finish()
    finally:
        os._exit(code)


def become(
    request: dict[str, Any], fds: list[int], server_fds: Iterable[int], preloader: Preloader
) -> None:
    os.setpgid(0, 0)
    signal.set_wakeup_fd(-1)
    for number in SERVER_SIGNALS:
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for fd in server_fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    replace_std_streams()
    sys.argv = [request["script"], *request["args"]]
    if sys.dont_write_bytecode and request.get("bytecode"):
        # Where PYTHONDONTWRITEBYTECODE is set, a run compiles the project's modules and pytest
        # rewrites its tests from source, every time. A warm run keeps that bytecode in the
        # server's private folder instead (gone when the server stops): never in the checkout,
        # and only this process's view changes (its environment still says not to write).
        sys.pycache_prefix = request["bytecode"]
        sys.dont_write_bytecode = False
    for name in preloader.runs_own():
        del sys.modules[name]
    # The server's `__main__` went with the plugin's modules; a cold run's is pytest's script,
    # and the standard library imports it (pdb's completer does, from Python 3.13).
    main = types.ModuleType("__main__")
    main.__file__ = request["script"]
    sys.modules["__main__"] = main
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(preloader.hook)


def replace_std_streams() -> None:
    """sys.stdin/stdout/stderr on the new fds 0-2, made as the interpreter makes them at start
    (line-buffered on a terminal, stderr always), in the server's encoding (the environment
    that sets it is the server's: staleness.import_env)."""
    streams = {
        "stdin": _stream(0, "r", sys.__stdin__, line_buffering=False),
        "stdout": _stream(1, "w", sys.__stdout__, line_buffering=os.isatty(1)),
        "stderr": _stream(2, "w", sys.__stderr__, line_buffering=True),
    }
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _stream(fd: int, mode: str, like: TextIO | None, line_buffering: bool) -> io.TextIOWrapper:
    encoding = like.encoding if like else "utf-8"
    errors = like.errors if like else "strict"
    raw = open(fd, f"{mode}b", closefd=False)  # noqa: SIM115 - open until the child exits
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="\n",
                            line_buffering=line_buffering)  # fmt: skip


def pytest_run(preloader: Preloader) -> int:
    """pytest's `console_main`, with the interpreter's exit handling around it."""
    before = set(sys.modules)
    import pytest

    code = 0
    try:
        code = int(pytest.console_main())
    except SystemExit as exit_:
        code = system_exit_code(exit_.code)
    except KeyboardInterrupt:
        # As the interpreter does with an uncaught KeyboardInterrupt: the traceback, then
        # death by SIGINT, so that the caller sees what it would of a cold run.
        traceback.print_exc()
        finish()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        traceback.print_exc()
        code = 1
    with contextlib.suppress(Exception):
        append_list(Path(preloader.learned), preloader.report(before))
    finish()
    return code


def system_exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def finish() -> None:
    """What the interpreter does on its way out: exit functions, then flushed streams."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
