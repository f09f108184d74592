"""The warm server's databases: PostgreSQL started in a helper, its spare copies, and where
SQLite's templates are.

Whatever runs the plugin's code, starts processes or threads runs in a forked helper: the
server itself stays single-threaded, so that its next fork copies a whole process.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_fastapi_db.warm import child, postgres, templates
from pytest_fastapi_db.warm.protocol import Place, WarmError, log


class Spares:
    """Mixed into the server: the warm PostgreSQL, started from the first run that asks for
    it, and the next run's copy of the template, made by a helper after each run."""

    place: Place
    postgres_url: str | None = None
    spare_tag: str | None = None  # the tag of the spare that is ready, if one is
    helpers: dict[int, str]  # pid -> the tag of the spare it is making
    runs: dict[int, Any]  # pid -> the run, of those still running

    def server_fds(self) -> list[int]:
        raise NotImplementedError

    def helper_ended(self, pid: int, status: int) -> bool:
        """Whether `pid` was a helper (a spare made, or not); the spare is ready if it was."""
        if pid not in self.helpers:
            return False
        tag = self.helpers.pop(pid)
        if os.waitstatus_to_exitcode(status) == 0:
            self.spare_tag = tag
        return True

    def end_helpers(self) -> None:
        """A spare half made goes with the PostgreSQL server."""
        for pid in self.helpers:
            with contextlib.suppress(ChildProcessError, ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        self.helpers.clear()

    def databases_for(self, request: dict[str, Any]) -> str | None:
        """In the run's environment: for a run on PostgreSQL without a server named, the warm
        PostgreSQL (started now if this is the first), the current template's name and the
        spare; for any other, the file of SQLite's template. Returns the schema's tag of a run
        on the warm PostgreSQL, else None."""
        tag = templates.schema_tag(self.place.root)
        if not postgres.wants_postgres(request["args"], request["env"]):
            template = templates.sqlite_template(self.place.folder, tag)
            request["env"][templates.WARM_SQLITE_ENV] = str(template)
            return None
        if self.postgres_url is None:
            started = time.perf_counter()
            self.postgres_url = self.in_helper(postgres.start_server, self.place.folder)
            log(f"PostgreSQL started in {time.perf_counter() - started:.2f} s")
        spare = postgres.spare_name(tag) if self.spare_tag == tag else None
        self.spare_tag = None  # this run takes it; the next one gets the copy made after it
        given = {"url": self.postgres_url, "template": postgres.template_name(tag), "spare": spare}
        request["env"][postgres.WARM_ENV] = json.dumps(given)
        return tag

    def after_run(self, postgres_tag: str | None) -> None:
        """The next PostgreSQL run's spare; SQLite's templates of an edited schema, once no
        run can be copying them."""
        if postgres_tag is not None and self.postgres_url is not None:
            self.make_spare(self.postgres_url, postgres_tag)
        if not self.runs:
            templates.prune_sqlite_templates(self.place.folder)

    def in_helper(self, function: Callable[..., str], *args: Any) -> str:
        """`function(*args)` in a forked helper (it may run the plugin's code, start processes
        and threads: the server must not), its result back through a pipe."""
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                self.become_helper(keep=write)
                os.write(write, json.dumps(function(*args)).encode())
                code = 0
            except BaseException as error:
                log(f"helper failed: {type(error).__name__}: {error}")
            finally:
                os._exit(code)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            output = pipe.read()
        _pid, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise WarmError(f"the warm server's helper failed (its log: {self.place.log})")
        result: str = json.loads(output)
        return result

    def make_spare(self, url: str, tag: str) -> None:
        """The next run's copy of the template, made in a helper while no one waits for it."""
        if tag in self.helpers.values():
            return
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                self.become_helper(keep=-1)
                postgres.make_spare(url, tag)
                code = 0
            except BaseException as error:
                log(f"making the spare database failed: {type(error).__name__}: {error}")
            finally:
                os._exit(code)
        self.helpers[pid] = tag

    def become_helper(self, keep: int) -> None:
        signal.set_wakeup_fd(-1)
        for number in child.SERVER_SIGNALS:
            signal.signal(number, signal.SIG_DFL)
        for fd in self.server_fds():
            if fd != keep:
                with contextlib.suppress(OSError):
                    os.close(fd)


# A server's lock, log and learned modules outlive it, for the next server of its checkout and
# interpreter; after this long unused (a checkout deleted, an environment rebuilt) they go.
FORGET_AFTER_S = 7 * 24 * 3600


def forget_old_servers(place: Place) -> None:
    """Remove what servers of other keys left in the base directory, once unused for a week and
    their lock free (a server's folder too, and a PostgreSQL a killed one left running)."""
    for lock in place.base.glob("*.lock"):
        key = lock.name.removesuffix(".lock")
        files = [lock, place.base / f"{key}.log", place.base / f"{key}.modules"]
        stamps = [path.stat().st_mtime for path in files if path.exists()]
        if key == place.key or time.time() - max(stamps, default=0.0) < FORGET_AFTER_S:
            continue
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a server of that key is running
        try:
            remove_folder(place.base / key)
            for path in files:
                path.unlink(missing_ok=True)
        finally:
            os.close(fd)


def remove_folder(folder: Path) -> None:
    """The server's folder, and the PostgreSQL server linked from it if one was started."""
    postgres.stop_server(folder)
    shutil.rmtree(folder, ignore_errors=True)
