"""The figures that need a fresh pytest process, because what they time includes its start-up:
one API test (cold, warm, in-process), one test module, the collection of the suite.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.core import PLUGIN, SQLITE, WARM_CLIENT, Bench, figure
from benchmarks.plugin import round_trips

# A test of its own rather than one of tests/api/test_auth.py, so that its figures stay
# comparable when the other API tests change.
REFERENCE_TEST = "tests/api/test_roundtrip.py::test_register_login_and_read_me"
ONE_TEST = ("-q", "-p", "no:randomly", REFERENCE_TEST)
IMPORT_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")
DONT_WRITE = "PYTHONDONTWRITEBYTECODE"
APP_IMPORT = "from time import perf_counter as t; s = t(); import backend.main; print(t() - s)"


@figure(
    "single_test_s", "single API test, fresh process", at_most=1.2, guide="2-3 s -> 0.18-0.41 s"
)
def single_test(bench: Bench) -> None:
    """Wall of a fresh `pytest` of the reference API test; the start-up parts beside it."""
    test_s: list[float] = []
    for way in bench.rounds():
        run = bench.pytest(f"single-{way}", ONE_TEST, naive=way == "naive")
        bench.record(way, [run.wall_s])
        test_s += run.values if way == "optimized" else []
    bench.progress(f"{bench.key()}: start-up parts")  # once: they only explain the figure
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    python_start = time.perf_counter() - started
    imported = subprocess.run([sys.executable, "-c", APP_IMPORT], capture_output=True, text=True)
    collect = bench.pytest("collect-one", ["--collect-only", *ONE_TEST])
    bench.extra(
        python_start_s=python_start,
        app_import_s=float(imported.stdout or "nan"),
        pytest_startup_and_collect_s=collect.wall_s,
        test_itself_s=statistics.median(test_s) if test_s else None,
    )


@figure(
    "single_test_warm_s",
    "single API test, `pytest-warm`",
    at_most={"sqlite": 0.25, "postgresql": 0.35},
    ratio=4,
)
def single_test_warm(bench: Bench) -> None:
    """The same test cold (`pytest`, the naive column) and warm (`pytest-warm`), the client's
    wall: what a developer waits for in the edit-run loop. Then both again with
    PYTHONDONTWRITEBYTECODE set and unset (set: every run compiles the project's modules and
    pytest's rewritten tests again)."""
    unset = {name: value for name, value in os.environ.items() if name != DONT_WRITE}
    environments = {"": {**os.environ}, "set": {**unset, DONT_WRITE: "1"}, "unset": unset}
    for state, env in environments.items():
        label, walls = f"bytecode-{state}" if state else "warm", defaultdict[str, list[float]](list)
        caches_before = set(Path.cwd().rglob("__pycache__"))  # unset, runs write them: removed
        try:
            with warm_server(bench, env):
                for way in bench.rounds(label=f"{label}@{bench.engine}"):
                    warm = way == "optimized"
                    run = bench.pytest(f"{label}-{way}", ONE_TEST, timed=False, warm=warm, env=env)
                    walls[way].append(run.wall_s)
                    if not state:
                        bench.record(way, [run.wall_s])
        finally:
            for cache in set(Path.cwd().rglob("__pycache__")) - caches_before:
                shutil.rmtree(cache, ignore_errors=True)
        for kind, way in (("cold", "naive"), ("warm", "optimized")) if state else ():
            bench.extra(**{f"{DONT_WRITE}_{state}_{kind}_s": statistics.median(walls[way])})


@contextlib.contextmanager
def warm_server(bench: Bench, env: dict[str, str], timeout_s: float = 120) -> Iterator[None]:
    """A fresh warm server for this checkout, past its first runs (the first starts it and
    runs cold, the second teaches it what the runs import); stopped at the end."""
    stop = [WARM_CLIENT, "stop"]
    subprocess.run(stop, env=env, capture_output=True)
    bench.progress(f"warm server: starting ({bench.engine})")
    bench.pytest("warm-start", ONE_TEST, timed=False, warm=True, env=env)
    deadline = time.monotonic() + timeout_s
    while subprocess.run([WARM_CLIENT, "status"], env=env, capture_output=True).returncode:
        if time.monotonic() > deadline:
            bench.extra(warning="the warm server did not start: see `pytest-warm status`")
            break
        time.sleep(0.2)
    bench.pytest("warm-learn", ONE_TEST, timed=False, warm=True, env=env)
    try:
        yield
    finally:
        subprocess.run(stop, env=env, capture_output=True)


@figure("api_test_ms", "register-login-request test", at_most=10)
def api_test(bench: Bench) -> None:
    """In-process setup + call + teardown of the reference test, repeated (pytest-repeat's
    `--count`: 40, naive 6 a round); its database calls beside it."""
    for way in bench.rounds():
        args = [f"--count={40 if way == 'optimized' else 6}", *ONE_TEST]
        bench.record(way, bench.pytest(f"api-{way}", args, naive=way == "naive").values)
    bench.extra(**db_counts(bench, bench.engine))


@figure("auth_module_s", "auth module, test time", at_most=0.5)
def auth_module(bench: Bench) -> None:
    """Setup + call + teardown summed over tests/api/test_auth.py; the process wall beside."""
    walls: dict[str, list[float]] = {"naive": [], "optimized": []}
    for way in bench.rounds(naive=min(bench.plan.naive_rounds, bench.plan.rounds)):
        run = bench.pytest(f"auth-{way}", ["-q", "tests/api/test_auth.py"], naive=way == "naive")
        bench.record(way, [sum(run.values)])
        walls[way].append(run.wall_s)
        bench.extra(tests=len(run.values))
    bench.extra(**{f"wall_{way}_s": statistics.median(walls[way]) for way in walls})


@figure("collection_s", "collection (`--collect-only`)", engines=SQLITE)
def collection(bench: Bench) -> None:
    """Wall of `pytest --collect-only -q` (the naive switches change no import); the slowest
    imports beside it."""
    for way in bench.rounds():
        args = ["-q", "--collect-only", *bench.plan.suite]
        run = bench.pytest(f"collect-{way}", args, naive=way == "naive", timed=False)
        bench.record(way, [run.wall_s])
    bench.progress(f"{bench.key()}: one more run under -X importtime")
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}  # -s: else pytest captures its lines
    args = ["-q", "-s", "--collect-only", *bench.plan.suite]
    run = bench.pytest("collect-importtime", args, timed=False, env=env)
    bench.extra(slowest_imports=slowest_imports(run.log.read_text()))


@functools.cache
def db_counts(bench: Bench, engine: str, repeats: int = 5) -> dict[str, Any]:
    """The reference test's database calls (median over `repeats`), once per engine: a run of
    its own under `--bench-count-db`, so the counting never slows a timed run."""
    bench.progress(f"{REFERENCE_TEST} on {engine}: counting database calls")
    args = [*PLUGIN, "--bench-count-db", f"--count={repeats}", *ONE_TEST]
    counts = list(bench.pytest("count-db", args).db.values())
    names = sorted({name for each in counts for name in each})
    medians = {name: statistics.median(each[name] for each in counts) for name in names}
    return {f"db_{k}": v for k, v in (medians | round_trips(medians)).items()}


def slowest_imports(stderr: str, count: int = 3) -> str:
    """The top-level imports (not nested in another) with the largest cumulative time."""
    tops = [
        (int(match[2]), match[4])
        for match in map(IMPORT_LINE.match, stderr.splitlines())
        if match and len(match[3]) <= 1
    ]
    return ", ".join(f"{module} {us / 1000:.0f} ms" for us, module in sorted(tops)[::-1][:count])
