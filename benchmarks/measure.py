"""How each figure is measured: in-process timers and pytest subprocesses, naive vs optimized.

The naive way is the same code with the fixture package's switches turned to the guide's
"before": `--db-isolation=recreate` (drop and create every table per test) and
`--real-password-hashing` (argon2, as production hashes). Rounds alternate which way runs
first, so a burst of load from elsewhere on the machine hits both.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAIVE_FLAGS = ("--db-isolation=recreate", "--real-password-hashing")
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider")
TIMING = ("-p", "benchmarks.timing_plugin")
PARALLEL = ("-n", "2", "--dist", "worksteal")
REFERENCE_TEST = "tests/benchmarks/test_api_roundtrip.py::test_register_login_and_read_me"
AUTH_MODULE = "tests/api/test_auth.py"
SLOW_TEST_S = 0.1


@dataclass
class Figure:
    """One row of the table: a value per round for each way, and what it is compared with."""

    key: str
    unit: str
    how: str
    target: str
    naive: list[float] = field(default_factory=list)
    optimized: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    met: bool | None = None

    def median(self, way: str) -> float | None:
        values = getattr(self, way)
        return statistics.median(values) if values else None

    @property
    def ratio(self) -> float | None:
        naive, optimized = self.median("naive"), self.median("optimized")
        if naive is None or not optimized:
            return None
        return naive / optimized

    def summary(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "naive": _round(self.median("naive")),
            "optimized": _round(self.median("optimized")),
            "ratio": _round(self.ratio),
            "unit": self.unit,
            "rounds": len(self.optimized),
            "naive_rounds": len(self.naive),
            "naive_min": _round(min(self.naive, default=None)),
            "naive_max": _round(max(self.naive, default=None)),
            "optimized_min": _round(min(self.optimized, default=None)),
            "optimized_max": _round(max(self.optimized, default=None)),
            "how": self.how,
            "target": self.target,
            "met": self.met,
        }
        if self.extra:
            result["extra"] = self.extra
        if self.notes:
            result["notes"] = self.notes
        return result


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


Progress = Callable[[str], None]


@dataclass
class PytestRun:
    wall_s: float
    returncode: int
    log: Path
    timings: dict[str, Any] | None = None

    @property
    def tests(self) -> list[dict[str, Any]]:
        return self.timings["tests"] if self.timings else []

    def per_test_s(self) -> list[float]:
        return [test["seconds"] for test in self.tests]

    @property
    def failed(self) -> int:
        return sum(1 for test in self.tests if test["outcome"] == "failed")


class Bench:
    """Shared state of one bench run: options, where logs go, and problems seen on the way."""

    def __init__(self, out_dir: Path, progress: Progress) -> None:
        self.out_dir = out_dir
        self.logs = out_dir / "logs"
        shutil.rmtree(self.logs, ignore_errors=True)  # only this run's logs beside its result
        self.logs.mkdir(parents=True, exist_ok=True)
        self.progress = progress
        self.warnings: list[str] = []
        self.runs = 0

    def pytest(
        self,
        label: str,
        args: tuple[str, ...] | list[str],
        *,
        naive: bool = False,
        timed: bool = True,
        python_flags: tuple[str, ...] = (),
    ) -> PytestRun:
        """Run pytest in a fresh process; wall time, exit code and (if timed) per-test times."""
        self.runs += 1
        log = self.logs / f"{self.runs:03d}-{label}.log"
        timings_file = self.logs / f"{self.runs:03d}-{label}.json"
        command = [sys.executable, *python_flags, *PYTEST[1:]]
        if timed:
            command += [*TIMING, "--bench-timings", str(timings_file)]
        command += [*(NAIVE_FLAGS if naive else ()), *args]
        started = time.perf_counter()
        with log.open("w") as output:
            output.write(" ".join(command) + "\n\n")
            output.flush()
            returncode = subprocess.run(
                command, stdout=output, stderr=subprocess.STDOUT, check=False
            ).returncode
        wall = time.perf_counter() - started
        timings = json.loads(timings_file.read_text()) if timed and timings_file.exists() else None
        run = PytestRun(wall, returncode, log, timings)
        if returncode not in (0,) and not (returncode == 1 and naive):
            self.warnings.append(f"{label}: pytest exited {returncode} (see {log})")
        elif returncode == 1:
            self.warnings.append(
                f"{label}: {run.failed} test(s) failed the naive way (see {log}); times still count"
            )
        return run

    def python(self, label: str, code: str) -> tuple[float, str]:
        """Wall time and output of `python -c code` in a fresh process."""
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - started
        if result.returncode:
            self.warnings.append(f"{label}: python exited {result.returncode}: {result.stderr}")
        return wall, result.stdout.strip()


def ways(round_index: int) -> tuple[str, str]:
    """Alternate which way runs first in each round."""
    return ("naive", "optimized") if round_index % 2 == 0 else ("optimized", "naive")


# --- in-process figures --------------------------------------------------------------------


@contextmanager
def scratch_app() -> Iterator[Any]:
    """A test-like app (settings as the fixtures make them) on a scratch database file."""
    from backend.config import Environment, Settings
    from backend.db import build_sync_engine
    from backend.models import Base

    with tempfile.TemporaryDirectory(prefix="backend-bench-") as folder:
        settings = Settings(
            _env_file=None,
            app_env=Environment.TEST,
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}",
            media_dir=Path(folder) / "media",
            jwt_secret="bench-only-jwt-secret-not-for-production",
        )
        sync_engine = build_sync_engine(settings.sync_database_url)
        Base.metadata.create_all(sync_engine)
        try:
            yield settings, sync_engine
        finally:
            sync_engine.dispose()


@asynccontextmanager
async def async_engine_of(settings: Any) -> AsyncIterator[Any]:
    """The app's async engine, built and disposed inside the running event loop."""
    from backend.db import build_async_engine

    engine = build_async_engine(settings.database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def median_of(count: int, step: Callable[[], Awaitable[None]]) -> float:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await step()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def db_isolation(bench: Bench, rounds: int, samples: int = 200) -> Figure:
    from tests.fixtures.database import recreate_schema, rolled_back_connection

    figure = Figure(
        "db_isolation_ms",
        "ms",
        f"setup + teardown of one test's database state, in-process, median of {samples}",
        "optimized <= 1 ms and >= 20x less than recreate",
    )
    with scratch_app() as (settings, sync_engine):

        async def measure() -> None:
            async with async_engine_of(settings) as async_engine:

                async def optimized() -> None:
                    async with rolled_back_connection(async_engine):
                        pass

                async def naive() -> None:
                    recreate_schema(sync_engine)
                    async with rolled_back_connection(async_engine):
                        pass

                steps = {"naive": naive, "optimized": optimized}
                await median_of(20, optimized)  # warm the pool and the statement caches
                for index in range(rounds):
                    for way in ways(index):
                        bench.progress(f"db_isolation_ms: round {index + 1}/{rounds}, {way}")
                        value = await median_of(samples, steps[way])
                        getattr(figure, way).append(value * 1000)

        asyncio.run(measure())
    optimized_ms, ratio = figure.median("optimized"), figure.ratio
    figure.met = (
        optimized_ms is not None and ratio is not None and optimized_ms <= 1 and ratio >= 20
    )
    return figure


def password_hash(bench: Bench, rounds: int) -> Figure:
    from fastapi_users.password import PasswordHelper
    from pwdlib import PasswordHash
    from pwdlib.hashers.bcrypt import BcryptHasher

    from backend.main import create_app
    from tests.fixtures.passwords import fast_password_hash

    figure = Figure(
        "password_hash_us",
        "us",
        "one hash + one verify through the app's password helper",
        "optimized <= 10 us (argon2 and bcrypt shown beside it)",
    )
    bcrypt_us: list[float] = []
    with scratch_app() as (settings, _sync):
        helpers = {
            "optimized": create_app(settings, password_hash=fast_password_hash()).state,
            "naive": create_app(settings).state,  # production's argon2
        }
        bcrypt = PasswordHelper(PasswordHash((BcryptHasher(),)))
        counts = {"optimized": 2000, "naive": 5}

        def once(helper: PasswordHelper) -> float:
            started = time.perf_counter()
            hashed = helper.hash("correct-horse-battery")
            verified, _ = helper.verify_and_update("correct-horse-battery", hashed)
            elapsed = time.perf_counter() - started
            assert verified
            return elapsed

        for index in range(rounds):
            for way in ways(index):
                bench.progress(f"password_hash_us: round {index + 1}/{rounds}, {way}")
                helper = helpers[way].password_helper
                samples = [once(helper) for _ in range(counts[way])]
                getattr(figure, way).append(statistics.median(samples) * 1e6)
            bench.progress(f"password_hash_us: round {index + 1}/{rounds}, bcrypt")
            bcrypt_us.append(statistics.median(once(bcrypt) for _ in range(3)) * 1e6)
    figure.extra = {
        "naive_is": "argon2 (production's PasswordHash)",
        "bcrypt_us": _round(statistics.median(bcrypt_us)),
        "bcrypt_ratio": _round(statistics.median(bcrypt_us) / (figure.median("optimized") or 1)),
    }
    figure.met = (figure.median("optimized") or 1e9) <= 10
    return figure


def shared_data(bench: Bench, rounds: int, samples: int = 100) -> Figure:
    from tests.fixtures.database import rolled_back_connection, session_on
    from tests.fixtures.passwords import fast_password_hash
    from tests.fixtures.shared_data import build_shared_video, savepoint, shared_transaction

    figure = Figure(
        "shared_data_ms",
        "ms",
        "a test's video + transcript + vocabulary: built per test vs a savepoint over one shared",
        "optimized < naive (the saving of tests/fixtures/shared_data.py)",
    )
    hashed = fast_password_hash().hash("correct-horse-battery")
    with scratch_app() as (settings, _sync):

        async def naive(async_engine: Any) -> float:
            async def build() -> None:
                async with (
                    rolled_back_connection(async_engine) as connection,
                    session_on(connection) as session,
                ):
                    await build_shared_video(session, hashed)

            return await median_of(samples, build)

        async def optimized(async_engine: Any) -> float:
            # SQLite has one writer: the shared world (and its write lock) lives for one round.
            async with shared_transaction(async_engine, hashed) as world:

                async def enter_and_leave() -> None:
                    async with savepoint(world.connection):
                        pass

                return await median_of(samples, enter_and_leave)

        steps = {"naive": naive, "optimized": optimized}

        async def measure() -> None:
            async with async_engine_of(settings) as async_engine:
                for index in range(rounds):
                    for way in ways(index):
                        bench.progress(f"shared_data_ms: round {index + 1}/{rounds}, {way}")
                        getattr(figure, way).append(await steps[way](async_engine) * 1000)

        asyncio.run(measure())
    figure.met = (figure.ratio or 0) > 1
    return figure


# --- subprocess figures ----------------------------------------------------------------------


def single_test(bench: Bench, rounds: int) -> Figure:
    figure = Figure(
        "single_test_s",
        "s",
        f"wall of a fresh process running one API test (`pytest {REFERENCE_TEST}`)",
        "optimized <= 1.2 s",
    )
    interpreter, app_import, startup, test_time = [], [], [], []
    for index in range(rounds):
        for way in ways(index):
            bench.progress(f"single_test_s: round {index + 1}/{rounds}, {way}")
            run = bench.pytest(
                f"single-{way}", ["-q", "-p", "no:randomly", REFERENCE_TEST], naive=way == "naive"
            )
            getattr(figure, way).append(run.wall_s)
            if way == "optimized":
                test_time.extend(run.per_test_s())
        if index:
            continue  # the start-up parts once: they only explain the figure
        bench.progress("single_test_s: start-up parts")
        interpreter.append(bench.python("interpreter", "pass")[0])
        _wall, imported = bench.python(
            "app import",
            "import time; t = time.perf_counter(); import backend.main; "
            "print(time.perf_counter() - t)",
        )
        app_import.append(float(imported or "nan"))
        startup.append(
            bench.pytest(
                "collect-one", ["-q", "--collect-only", "-p", "no:randomly", REFERENCE_TEST]
            ).wall_s
        )
    figure.extra = {
        "python_start_s": _round(statistics.median(interpreter)),
        "app_import_s": _round(statistics.median(app_import)),
        "pytest_startup_and_collect_s": _round(statistics.median(startup)),
        "test_itself_s": _round(statistics.median(test_time)) if test_time else None,
    }
    figure.met = (figure.median("optimized") or 1e9) <= 1.2
    return figure


def api_test(bench: Bench, rounds: int) -> Figure:
    repeats = {"optimized": 40, "naive": 6}
    figure = Figure(
        "api_test_ms",
        "ms",
        "median in-process setup + call + teardown of the register-login-request test "
        f"(repeated {repeats['optimized']}x, naive {repeats['naive']}x, per round)",
        "optimized <= 10 ms",
    )
    for index in range(rounds):
        for way in ways(index):
            bench.progress(f"api_test_ms: round {index + 1}/{rounds}, {way}")
            run = bench.pytest(
                f"api-{way}",
                ["-q", "-p", "no:randomly", f"--bench-repeat={repeats[way]}", REFERENCE_TEST],
                naive=way == "naive",
            )
            if run.per_test_s():
                getattr(figure, way).append(statistics.median(run.per_test_s()) * 1000)
    figure.met = (figure.median("optimized") or 1e9) <= 10
    return figure


def auth_module(bench: Bench, rounds: int, naive_rounds: int) -> Figure | None:
    if not Path(AUTH_MODULE).exists():
        bench.warnings.append(f"auth_module_s: {AUTH_MODULE} does not exist; figure skipped")
        return None
    figure = Figure(
        "auth_module_s",
        "s",
        f"test time (setup + call + teardown, summed) of {AUTH_MODULE}; process wall in extra",
        "optimized <= 0.5 s of test time",
    )
    walls: dict[str, list[float]] = {"naive": [], "optimized": []}
    tests = 0
    for index in range(rounds):
        for way in ways(index):
            if way == "naive" and index >= naive_rounds:
                continue
            bench.progress(f"auth_module_s: round {index + 1}/{rounds}, {way}")
            run = bench.pytest(f"auth-{way}", ["-q", AUTH_MODULE], naive=way == "naive")
            getattr(figure, way).append(sum(run.per_test_s()))
            walls[way].append(run.wall_s)
            tests = len(run.tests)
    figure.extra = {
        "tests": tests,
        "wall_naive_s": _round(statistics.median(walls["naive"])),
        "wall_optimized_s": _round(statistics.median(walls["optimized"])),
    }
    figure.met = (figure.median("optimized") or 1e9) <= 0.5
    return figure


NOT_SLOW = ("-m", "not slow")


@dataclass
class SuiteRuns:
    """The suite runs shared by per_test_ms, suite_serial_s, suite_parallel_s and the crossover.

    They leave out the tests marked slow: those start subprocesses or hash with real argon2 on
    purpose, cost the same both ways, and would hide the difference being measured.
    `with_slow` is one optimized serial run of everything, when asked for.
    """

    serial: dict[str, list[PytestRun]] = field(
        default_factory=lambda: {"naive": [], "optimized": []}
    )
    parallel: list[PytestRun] = field(default_factory=list)  # optimized only
    with_slow: PytestRun | None = None


def suite_runs(
    bench: Bench, rounds: int, naive_rounds: int, selection: list[str], with_slow: bool
) -> SuiteRuns:
    """Optimized serial and -n 2 runs each round; the naive serial run in the first rounds."""
    runs = SuiteRuns()
    for index in range(max(rounds, naive_rounds)):
        for way in ways(index):
            wanted = naive_rounds if way == "naive" else rounds
            if index >= wanted:
                continue
            modes = [("serial", ())] + ([("parallel", PARALLEL)] if way == "optimized" else [])
            for mode, extra in modes:
                bench.progress(f"suite: round {index + 1}/{wanted}, {way}, {mode}")
                run = bench.pytest(
                    f"suite-{mode}-{way}",
                    ["-q", *NOT_SLOW, *extra, *selection],
                    naive=way == "naive",
                )
                if mode == "serial":
                    runs.serial[way].append(run)
                else:
                    runs.parallel.append(run)
                bench.progress(f"suite: {way} {mode}: {len(run.tests)} tests in {run.wall_s:.1f} s")
    if with_slow:
        bench.progress("suite: everything, slow tests included, optimized, serial")
        runs.with_slow = bench.pytest("suite-with-slow", ["-q", *selection])
        bench.progress(
            f"suite: everything: {len(runs.with_slow.tests)} tests in {runs.with_slow.wall_s:.1f} s"
        )
    return runs


def suite_figures(runs: SuiteRuns, naive_rounds: int) -> list[Figure]:
    first = runs.serial["optimized"][0] if runs.serial["optimized"] else None
    left_out = first.timings.get("deselected", 0) if first and first.timings else 0
    scope = (
        f"the suite without its {left_out} tests marked slow (`-m 'not slow'`, what "
        "`nox -s fast` runs); naive: "
        f"{naive_rounds} round(s), serial only (the slowest part of the bench)"
    )
    per_test = Figure(
        "per_test_ms",
        "ms",
        "median setup + call + teardown per test over the suite (serial runs)",
        "optimized <= 5 ms and >= 20x less than naive",
    )
    for way, way_runs in runs.serial.items():
        for run in way_runs:
            if run.per_test_s():
                getattr(per_test, way).append(statistics.median(run.per_test_s()) * 1000)
    per_test.notes.append(scope)
    per_test.extra = {"tests": len(first.tests) if first else 0}
    for way, way_runs in runs.serial.items():
        means = [statistics.mean(run.per_test_s()) * 1000 for run in way_runs if run.tests]
        if means:
            per_test.extra[f"mean_{way}_ms"] = _round(statistics.median(means))
    per_test.met = (per_test.median("optimized") or 1e9) <= 5 and (per_test.ratio or 0) >= 20

    serial = Figure("suite_serial_s", "s", "wall of the suite, serial", ">= 10x less than naive")
    parallel = Figure(
        "suite_parallel_s",
        "s",
        "wall of the suite, `-n 2 --dist worksteal`; naive = the naive suite, serial, as the "
        "guide's 'before' ran",
        ">= 10x less than naive serial; crossover reported",
    )
    for way, way_runs in runs.serial.items():
        getattr(serial, way).extend(run.wall_s for run in way_runs)
    parallel.naive.extend(serial.naive)
    parallel.optimized.extend(run.wall_s for run in runs.parallel)
    for figure in (serial, parallel):
        figure.notes.append(scope)
        figure.met = (figure.ratio or 0) >= 10
    if runs.with_slow is not None:
        slow = [test["seconds"] for test in runs.with_slow.tests if test["slow"]]
        serial.extra = {
            "everything_optimized_s": _round(runs.with_slow.wall_s),
            "everything_tests": len(runs.with_slow.tests),
            "slow_tests": len(slow),
            "slow_tests_time_s": _round(sum(slow)),
        }
    return [per_test, serial, parallel]


def slow_tests(runs: SuiteRuns) -> list[dict[str, Any]]:
    """Tests above 100 ms (median of the optimized serial runs), and every test marked slow."""
    seconds: dict[str, list[float]] = {}
    marked: dict[str, bool] = {}
    measured = [*runs.serial["optimized"], *([runs.with_slow] if runs.with_slow else [])]
    for run in measured:
        for test in run.tests:
            seconds.setdefault(test["nodeid"], []).append(test["seconds"])
            marked[test["nodeid"]] = test["slow"]
    rows = []
    for nodeid, values in seconds.items():
        median = statistics.median(values)
        if median > SLOW_TEST_S or marked[nodeid]:
            rows.append(
                {"nodeid": nodeid, "ms": _round(median * 1000), "marked_slow": marked[nodeid]}
            )
    return sorted(rows, key=lambda row: -row["ms"])


def crossover(
    bench: Bench, runs: SuiteRuns, max_repeat: int, selection: list[str], budget_s: float = 45
) -> dict[str, Any]:
    """Shrink or grow the suite until `-n 2` and serial swap places.

    The same selection as the suite figures (tests marked slow left out: they are few, long and
    parallelize well, which would hide the question: when do the ordinary millisecond tests
    gain from workers?). Smaller sizes are an even sample of the tests (`--bench-limit`); larger
    ones repeat every test (`--bench-repeat`). The suite's own size comes from the suite runs.
    """
    points: list[dict[str, Any]] = []

    def point(label: str, size_args: list[str]) -> dict[str, Any]:
        measured = {}
        for mode, extra in (("serial", ()), ("parallel", PARALLEL)):
            bench.progress(f"crossover: {label}, {mode}")
            measured[mode] = bench.pytest(
                f"crossover-{label}-{mode}", ["-q", *NOT_SLOW, *extra, *size_args, *selection]
            )
        found = {
            "tests": len(measured["serial"].tests),
            "serial_s": measured["serial"].wall_s,
            "parallel_s": measured["parallel"].wall_s,
        }
        bench.progress(
            f"crossover: {found['tests']} tests: serial {found['serial_s']:.1f} s, "
            f"-n 2 {found['parallel_s']:.1f} s"
        )
        points.append(found)
        return found

    if runs.serial["optimized"] and runs.parallel:
        full = {
            "tests": len(runs.serial["optimized"][0].tests),
            "serial_s": statistics.median(run.wall_s for run in runs.serial["optimized"]),
            "parallel_s": statistics.median(run.wall_s for run in runs.parallel),
        }
        points.append(full)
    else:
        full = point("all", [])
    if full["parallel_s"] < full["serial_s"]:
        limit = full["tests"] // 2
        while limit >= 10:  # shrink until serial wins again
            shrunk = point(f"sample{limit}", [f"--bench-limit={limit}"])
            if shrunk["parallel_s"] >= shrunk["serial_s"]:
                break
            limit //= 2
    else:
        repeat = 2
        while repeat <= max_repeat:  # grow until parallel wins
            grown = point(f"x{repeat}", [f"--bench-repeat={repeat}"])
            if grown["parallel_s"] < grown["serial_s"] or grown["serial_s"] > budget_s:
                break
            repeat *= 2
    points.sort(key=lambda each: each["tests"])
    return describe_crossover(points)


def describe_crossover(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Where `-n 2` starts to beat serial: interpolated between measured sizes, and a line fit."""
    result: dict[str, Any] = {
        "selection": "tests not marked slow",
        "points": [{k: _round(v) for k, v in p.items()} for p in points],
    }
    for before, after in itertools.pairwise(points):
        gap_before = before["parallel_s"] - before["serial_s"]
        gap_after = after["parallel_s"] - after["serial_s"]
        if gap_before >= 0 > gap_after:
            share = gap_before / (gap_before - gap_after)
            result["tests"] = round(before["tests"] + share * (after["tests"] - before["tests"]))
            result["serial_s"] = _round(
                before["serial_s"] + share * (after["serial_s"] - before["serial_s"])
            )
            break
    if len({p["tests"] for p in points}) >= 2:
        fit_serial = _line([p["tests"] for p in points], [p["serial_s"] for p in points])
        fit_parallel = _line([p["tests"] for p in points], [p["parallel_s"] for p in points])
        result["fit"] = {
            "serial_s": f"{fit_serial[0]:.2f} s + {fit_serial[1] * 1000:.2f} ms x tests",
            "parallel_s": f"{fit_parallel[0]:.2f} s + {fit_parallel[1] * 1000:.2f} ms x tests",
        }
        if fit_serial[1] > fit_parallel[1]:
            tests = (fit_parallel[0] - fit_serial[0]) / (fit_serial[1] - fit_parallel[1])
            result["fit"]["crossover_tests"] = max(0, round(tests))
            result["fit"]["crossover_serial_s"] = _round(fit_serial[0] + fit_serial[1] * tests)
    if "tests" in result:
        result["summary"] = (
            f"-n 2 beats serial from about {result['tests']} tests "
            f"(about {result['serial_s']} s of serial wall) on this machine"
        )
    elif points and all(p["parallel_s"] < p["serial_s"] for p in points):
        result["summary"] = (
            f"-n 2 beat serial at every size measured, down to {points[0]['tests']} tests "
            f"({points[0]['serial_s']:.1f} s serial)"
        )
    elif points:
        last = points[-1]
        result["summary"] = (
            f"-n 2 did not beat serial up to {last['tests']} tests "
            f"({last['serial_s']:.1f} s serial, {last['parallel_s']:.1f} s with -n 2)"
        )
    return result


def _line(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares intercept and slope."""
    slope, intercept = statistics.linear_regression(xs, ys)
    return intercept, slope


IMPORT_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def slowest_imports(stderr: str, count: int = 3) -> list[dict[str, Any]]:
    """The top-level imports (not nested in another) with the largest cumulative time."""
    tops = []
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match and len(match.group(3)) <= 1:
            tops.append({"module": match.group(4), "ms": int(match.group(2)) / 1000})
    tops.sort(key=lambda row: -row["ms"])
    return [{"module": row["module"], "ms": _round(row["ms"])} for row in tops[:count]]


def collection(bench: Bench, rounds: int, selection: list[str]) -> Figure:
    figure = Figure(
        "collection_s",
        "s",
        "wall of `pytest --collect-only -q` (the naive switches change no import)",
        "shown, with the three slowest imports",
    )
    for index in range(rounds):
        for way in ways(index):
            bench.progress(f"collection_s: round {index + 1}/{rounds}, {way}")
            run = bench.pytest(
                f"collect-{way}",
                ["-q", "--collect-only", *selection],
                naive=way == "naive",
                timed=False,
            )
            getattr(figure, way).append(run.wall_s)
    bench.progress("collection_s: one more run under -X importtime")
    env = dict(os.environ)
    result = subprocess.run(
        # -s: pytest's fd capture would swallow the import-time lines written to stderr.
        [*PYTEST, "-q", "-s", "--collect-only", *selection],
        capture_output=True,
        text=True,
        check=False,
        env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
    )
    figure.extra = {"slowest_imports": slowest_imports(result.stderr)}
    return figure
