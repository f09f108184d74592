"""The figures that need a fresh pytest process, because what they time includes its start-up.

One API test, one test module and the collection of the suite, each run the naive and the
optimized way; the start-up parts (interpreter, app import, collection) explain where the
time of a single test goes.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.core import (
    PYTEST,
    WARM_CLIENT,
    Bench,
    Figure,
    engine_key,
    median_or_none,
    rounded,
)
from benchmarks.db_counter import round_trips

# A test of its own rather than one of tests/api/test_auth.py, so that its figures stay
# comparable when the other API tests change.
REFERENCE_TEST = "tests/api/test_roundtrip.py::test_register_login_and_read_me"
AUTH_MODULE = "tests/api/test_auth.py"
IMPORT_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def single_test(bench: Bench, rounds: int, engine: str) -> Figure:
    figure = Figure(
        engine_key("single_test_s", engine),
        "s",
        f"wall of a fresh process running one API test (`pytest {REFERENCE_TEST}`)",
        "optimized <= 1.2 s",
    )
    test_time: list[float] = []
    for way in bench.rounds(figure.key, rounds):
        run = bench.pytest(
            f"single-{way}",
            ["-q", "-p", "no:randomly", REFERENCE_TEST],
            engine=engine,
            naive=way == "naive",
        )
        figure.add(way, run.wall_s)
        if way == "optimized":
            test_time.extend(run.per_test_s())
    # Once: the start-up parts only explain the figure.
    bench.progress(f"{figure.key}: start-up parts")
    interpreter, _output = bench.python("interpreter", "pass")
    _wall, imported = bench.python(
        "app import",
        "import time; t = time.perf_counter(); import backend.main; print(time.perf_counter() - t)",
    )
    startup = bench.pytest(
        "collect-one", ["-q", "--collect-only", "-p", "no:randomly", REFERENCE_TEST], engine=engine
    )
    figure.extra = {
        "python_start_s": rounded(interpreter),
        "app_import_s": rounded(float(imported or "nan")),
        "pytest_startup_and_collect_s": rounded(startup.wall_s),
        "test_itself_s": rounded(median_or_none(test_time)),
    }
    figure.met = figure.at_most(1.2)
    return figure


# The targets for a single test through the warm runner, by engine, and the least
# cold/warm ratio.
WARM_TARGET_S = {"sqlite": 0.25, "postgresql": 0.35}
WARM_RATIO = 4.0
WARM_READY_TIMEOUT_S = 120.0
DONT_WRITE = "PYTHONDONTWRITEBYTECODE"


def single_test_warm(bench: Bench, rounds: int, engine: str) -> Figure:
    """The same single test, cold (`pytest`, the naive column) and warm (`pytest-warm`), the
    client's wall: what a developer waits for in the edit-run loop. Then both again with
    PYTHONDONTWRITEBYTECODE set and unset (in extra): where it is set, no run caches the
    bytecode of the project's modules or pytest's rewritten tests, so each compiles them."""
    limit = WARM_TARGET_S[engine]
    figure = Figure(
        engine_key("single_test_warm_s", engine),
        "s",
        f"wall of `pytest-warm {REFERENCE_TEST}` (warm server; naive column: the cold `pytest`)",
        f"warm <= {limit} s and >= {WARM_RATIO:g}x less than cold",
    )
    args = ["-q", "-p", "no:randomly", REFERENCE_TEST]
    env = dict(os.environ)
    with warm_server(bench, args, engine, env):
        for way in bench.rounds(figure.key, rounds):
            run = bench.pytest(f"warm-{way}", args, engine=engine, timed=False,
                               warm=way == "optimized", env=env)  # fmt: skip
            figure.add(way, run.wall_s)
    figure.extra = {
        f"{DONT_WRITE}_{state}": bytecode_case(bench, rounds, engine, args, state == "set")
        for state in ("set", "unset")
    }
    ratio = figure.ratio
    figure.met = figure.at_most(limit) and ratio is not None and ratio >= WARM_RATIO
    return figure


def bytecode_case(
    bench: Bench, rounds: int, engine: str, args: list[str], dont_write: bool
) -> dict[str, float | None]:
    """Median cold and warm walls with PYTHONDONTWRITEBYTECODE set or unset.

    Unset, the runs write `__pycache__` folders into the checkout; those that were not there
    before are removed afterwards, so that the next bench (and the developer's runs, where it
    is set) start from the same state.
    """
    env = {name: value for name, value in os.environ.items() if name != DONT_WRITE}
    if dont_write:
        env[DONT_WRITE] = "1"
    caches_before = set(Path.cwd().rglob("__pycache__"))
    walls: dict[str, list[float]] = {"naive": [], "optimized": []}
    label = f"bytecode-{'set' if dont_write else 'unset'}"
    try:
        with warm_server(bench, args, engine, env):
            for way in bench.rounds(f"{label}@{engine}", rounds):
                run = bench.pytest(f"{label}-{way}", args, engine=engine, timed=False,
                                   warm=way == "optimized", env=env)  # fmt: skip
                walls[way].append(run.wall_s)
    finally:
        for cache in set(Path.cwd().rglob("__pycache__")) - caches_before:
            shutil.rmtree(cache, ignore_errors=True)
    return {
        "cold_s": rounded(median_or_none(walls["naive"])),
        "warm_s": rounded(median_or_none(walls["optimized"])),
    }


@contextlib.contextmanager
def warm_server(bench: Bench, args: list[str], engine: str, env: dict[str, str]) -> Iterator[None]:
    """A fresh warm server for this checkout, past its first runs (the first starts it and
    runs cold, the second teaches it what the runs import); stopped at the end."""
    stop = [WARM_CLIENT, "stop"]
    subprocess.run(stop, env=env, capture_output=True, check=False)
    bench.progress(f"warm server: starting ({engine})")
    bench.pytest("warm-start", args, engine=engine, timed=False, warm=True, env=env)
    deadline = time.monotonic() + WARM_READY_TIMEOUT_S
    status = [WARM_CLIENT, "status"]
    while subprocess.run(status, env=env, capture_output=True, check=False).returncode:
        if time.monotonic() > deadline:
            bench.warnings.append(
                "the warm server did not start: its log is in `pytest-warm status`"
            )
            break
        time.sleep(0.2)
    bench.pytest("warm-learn", args, engine=engine, timed=False, warm=True, env=env)
    try:
        yield
    finally:
        subprocess.run(stop, env=env, capture_output=True, check=False)


def api_test(bench: Bench, rounds: int, engine: str) -> Figure:
    repeats = {"optimized": 40, "naive": 6}
    figure = Figure(
        engine_key("api_test_ms", engine),
        "ms",
        "median in-process setup + call + teardown of the register-login-request test "
        f"(repeated {repeats['optimized']}x, naive {repeats['naive']}x, per round)",
        "optimized <= 10 ms",
    )
    for way in bench.rounds(figure.key, rounds):
        run = bench.pytest(
            f"api-{way}",
            ["-q", "-p", "no:randomly", f"--bench-repeat={repeats[way]}", REFERENCE_TEST],
            engine=engine,
            naive=way == "naive",
        )
        figure.add(way, run.median_test_ms())
    figure.extra = {"database_calls_per_test": db_counts(bench, engine)}
    figure.met = figure.at_most(10)
    return figure


def auth_module(bench: Bench, rounds: int, naive_rounds: int, engine: str) -> Figure | None:
    key = engine_key("auth_module_s", engine)
    if not Path(AUTH_MODULE).exists():
        bench.warnings.append(f"{key}: {AUTH_MODULE} does not exist; figure skipped")
        return None
    figure = Figure(
        key,
        "s",
        f"test time (setup + call + teardown, summed) of {AUTH_MODULE}; process wall in extra",
        "optimized <= 0.5 s of test time",
    )
    walls: dict[str, list[float]] = {"naive": [], "optimized": []}
    tests = 0
    for way in bench.rounds(figure.key, rounds, naive_rounds=min(naive_rounds, rounds)):
        run = bench.pytest(f"auth-{way}", ["-q", AUTH_MODULE], engine=engine, naive=way == "naive")
        figure.add(way, sum(run.per_test_s()))
        walls[way].append(run.wall_s)
        tests = len(run.tests)
    figure.extra = {
        "tests": tests,
        "wall_naive_s": rounded(statistics.median(walls["naive"])),
        "wall_optimized_s": rounded(statistics.median(walls["optimized"])),
    }
    figure.met = figure.at_most(0.5)
    return figure


def collection(bench: Bench, rounds: int, selection: list[str]) -> Figure:
    figure = Figure(
        "collection_s",
        "s",
        "wall of `pytest --collect-only -q` (the naive switches change no import)",
        "shown, with the three slowest imports",
    )
    for way in bench.rounds(figure.key, rounds):
        run = bench.pytest(
            f"collect-{way}",
            ["-q", "--collect-only", *selection],
            naive=way == "naive",
            timed=False,
        )
        figure.add(way, run.wall_s)
    bench.progress(f"{figure.key}: one more run under -X importtime")
    result = subprocess.run(
        # -s: pytest's fd capture would swallow the import-time lines written to stderr.
        [*PYTEST, "-q", "-s", "--collect-only", *selection],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
    )
    figure.extra = {"slowest_imports": slowest_imports(result.stderr)}
    return figure


def db_counts(bench: Bench, engine: str, repeats: int = 5) -> dict[str, Any]:
    """Database calls of the reference test on `engine` (median over `repeats`), once per run.

    A run of its own under `--bench-count-db` (benchmarks.timing_plugin), so the counting
    never slows a timed run: SQLAlchemy statements, transaction calls and pool checkouts,
    aiosqlite's calls to its thread (each one a hand-off there and back) and asyncpg's
    server-side prepares (a round trip each, when the statement cache misses).
    """
    memo_key = f"db_counts@{engine}"
    if memo_key not in bench.memo:
        bench.progress(f"{REFERENCE_TEST} on {engine}: counting database calls")
        run = bench.pytest(
            "count-db",
            [
                "-q",
                "-p",
                "no:randomly",
                "--bench-count-db",
                f"--bench-repeat={repeats}",
                REFERENCE_TEST,
            ],
            engine=engine,
        )
        counts = [test.get("db", {}) for test in run.tests]
        names = sorted({name for each in counts for name in each})
        medians = {name: statistics.median(each.get(name, 0) for each in counts) for name in names}
        bench.memo[memo_key] = {**medians, **round_trips(medians)}
    result: dict[str, Any] = bench.memo[memo_key]
    return result


def slowest_imports(stderr: str, count: int = 3) -> list[dict[str, Any]]:
    """The top-level imports (not nested in another) with the largest cumulative time."""
    tops: list[tuple[float, str]] = []
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match and len(match.group(3)) <= 1:
            tops.append((int(match.group(2)) / 1000, match.group(4)))
    tops.sort(key=lambda top: -top[0])
    return [{"module": module, "ms": rounded(ms)} for ms, module in tops[:count]]
