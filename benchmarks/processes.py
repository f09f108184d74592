"""The figures that need a fresh pytest process, because what they time includes its start-up.

One API test (cold, warm through `pytest-warm`, and its in-process time repeated), one test
module and the collection of the suite, each the naive and the optimized way; the start-up parts
(interpreter, app import, collection) and the database calls explain where the time goes.
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

from benchmarks.core import PLUGIN, PYTEST, SQLITE, WARM_CLIENT, Context, figure
from benchmarks.plugin import round_trips

# A test of its own rather than one of tests/api/test_auth.py, so that its figures stay
# comparable when the other API tests change.
REFERENCE_TEST = "tests/api/test_roundtrip.py::test_register_login_and_read_me"
ONE_TEST = ("-q", "-p", "no:randomly", REFERENCE_TEST)
AUTH_MODULE = "tests/api/test_auth.py"
IMPORT_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")
DONT_WRITE = "PYTHONDONTWRITEBYTECODE"


@figure(
    "single_test_s",
    "s",
    "single API test, fresh process",
    at_most=1.2,
    guide="2-3 s -> 0.18-0.41 s",
)
def single_test(ctx: Context) -> None:
    """Wall of a fresh `pytest` of the reference API test; the start-up parts beside it."""
    test_s: list[float] = []
    for way in ctx.rounds():
        run = ctx.bench.pytest(f"single-{way}", ONE_TEST, engine=ctx.engine, naive=way == "naive")
        ctx.record(way, [run.wall_s])
        test_s += run.values if way == "optimized" else []
    ctx.bench.progress(f"{ctx.key()}: start-up parts")  # once: they only explain the figure
    interpreter, _ = ctx.bench.python(ctx.key(), "pass")
    code = (
        "import time; t = time.perf_counter(); import backend.main; print(time.perf_counter() - t)"
    )
    _, imported = ctx.bench.python(ctx.key(), code)
    collect = ctx.bench.pytest("collect-one", ["--collect-only", *ONE_TEST], engine=ctx.engine)
    ctx.extra(
        python_start_s=interpreter,
        app_import_s=float(imported or "nan"),
        pytest_startup_and_collect_s=collect.wall_s,
        test_itself_s=statistics.median(test_s) if test_s else None,
    )


@figure(
    "single_test_warm_s",
    "s",
    "single API test, `pytest-warm`",
    at_most={"sqlite": 0.25, "postgresql": 0.35},
    ratio=4,
)
def single_test_warm(ctx: Context) -> None:
    """The same test cold (`pytest`, the naive column) and warm (`pytest-warm`), the client's
    wall: what a developer waits for in the edit-run loop. Then both again with
    PYTHONDONTWRITEBYTECODE set and unset: where it is set, no run caches the bytecode of the
    project's modules or pytest's rewritten tests, so each compiles them."""
    with warm_server(ctx, dict(os.environ)):
        for way in ctx.rounds():
            run = ctx.bench.pytest(
                f"warm-{way}", ONE_TEST, engine=ctx.engine, timed=False, warm=way == "optimized"
            )
            ctx.record(way, [run.wall_s])
    for state in ("set", "unset"):
        env = {name: value for name, value in os.environ.items() if name != DONT_WRITE}
        env |= {DONT_WRITE: "1"} if state == "set" else {}
        # Unset, the runs write `__pycache__` folders into the checkout: those that were not
        # there before go afterwards, so the next bench (and the developer's runs) start alike.
        caches_before = set(Path.cwd().rglob("__pycache__"))
        walls: dict[str, list[float]] = {"naive": [], "optimized": []}
        try:
            with warm_server(ctx, env):
                for way in ctx.bench.rounds(f"bytecode-{state}@{ctx.engine}", ctx.plan.rounds):
                    walls[way].append(
                        ctx.bench.pytest(
                            f"bytecode-{state}-{way}",
                            ONE_TEST,
                            engine=ctx.engine,
                            timed=False,
                            warm=way == "optimized",
                            env=env,
                        ).wall_s
                    )
        finally:
            for cache in set(Path.cwd().rglob("__pycache__")) - caches_before:
                shutil.rmtree(cache, ignore_errors=True)
        ctx.extra(
            **{
                f"{DONT_WRITE}_{state}_{kind}_s": statistics.median(walls[way])
                for kind, way in (("cold", "naive"), ("warm", "optimized"))
            }
        )


@contextlib.contextmanager
def warm_server(ctx: Context, env: dict[str, str], timeout_s: float = 120) -> Iterator[None]:
    """A fresh warm server for this checkout, past its first runs (the first starts it and
    runs cold, the second teaches it what the runs import); stopped at the end."""
    stop = [WARM_CLIENT, "stop"]
    subprocess.run(stop, env=env, capture_output=True)
    ctx.bench.progress(f"warm server: starting ({ctx.engine})")
    ctx.bench.pytest("warm-start", ONE_TEST, engine=ctx.engine, timed=False, warm=True, env=env)
    deadline = time.monotonic() + timeout_s
    while subprocess.run([WARM_CLIENT, "status"], env=env, capture_output=True).returncode:
        if time.monotonic() > deadline:
            ctx.extra(warning="the warm server did not start: see `pytest-warm status`")
            break
        time.sleep(0.2)
    ctx.bench.pytest("warm-learn", ONE_TEST, engine=ctx.engine, timed=False, warm=True, env=env)
    try:
        yield
    finally:
        subprocess.run(stop, env=env, capture_output=True)


@figure("api_test_ms", "ms", "register-login-request test", at_most=10)
def api_test(ctx: Context) -> None:
    """In-process setup + call + teardown of the reference test, repeated (pytest-repeat's
    `--count`: 40, naive 6 a round); its database calls beside it."""
    repeats = {"optimized": 40, "naive": 6}
    for way in ctx.rounds():
        args = [f"--count={repeats[way]}", *ONE_TEST]
        run = ctx.bench.pytest(f"api-{way}", args, engine=ctx.engine, naive=way == "naive")
        ctx.record(way, run.values)
    ctx.extra(**db_counts(ctx))


@figure("auth_module_s", "s", "auth module, test time", at_most=0.5)
def auth_module(ctx: Context) -> None:
    """Setup + call + teardown summed over tests/api/test_auth.py; the process wall beside."""
    if not Path(AUTH_MODULE).exists():
        ctx.bench.progress(f"{ctx.key()}: {AUTH_MODULE} does not exist; figure skipped")
        return
    walls: dict[str, list[float]] = {"naive": [], "optimized": []}
    for way in ctx.rounds(naive=min(ctx.plan.naive_rounds, ctx.plan.rounds)):
        run = ctx.bench.pytest(
            f"auth-{way}", ["-q", AUTH_MODULE], engine=ctx.engine, naive=way == "naive"
        )
        ctx.record(way, [sum(run.values)])
        walls[way].append(run.wall_s)
        ctx.extra(tests=len(run.values))
    ctx.extra(**{f"wall_{way}_s": statistics.median(walls[way]) for way in walls})


@figure("collection_s", "s", "collection (`--collect-only`)", engines=SQLITE)
def collection(ctx: Context) -> None:
    """Wall of `pytest --collect-only -q` (the naive switches change no import); the slowest
    imports beside it."""
    for way in ctx.rounds():
        args = ["-q", "--collect-only", *ctx.plan.suite]
        run = ctx.bench.pytest(f"collect-{way}", args, naive=way == "naive", timed=False)
        ctx.record(way, [run.wall_s])
    ctx.bench.progress(f"{ctx.key()}: one more run under -X importtime")
    done = subprocess.run(
        # -s: pytest's fd capture would swallow the import-time lines written to stderr.
        [*PYTEST, "-q", "-s", "--collect-only", *ctx.plan.suite],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
    )
    ctx.extra(slowest_imports=slowest_imports(done.stderr))


def db_counts(ctx: Context, repeats: int = 5) -> dict[str, Any]:
    """The reference test's database calls on the engine (median over `repeats`), once a run:
    a run of its own under `--bench-count-db`, so the counting never slows a timed run."""
    memo = f"db_counts@{ctx.engine}"
    if memo not in ctx.bench.memo:
        ctx.bench.progress(f"{REFERENCE_TEST} on {ctx.engine}: counting database calls")
        args = [*PLUGIN, "--bench-count-db", f"--count={repeats}", *ONE_TEST]
        counts = list(ctx.bench.pytest("count-db", args, engine=ctx.engine).db.values())
        names = sorted({name for each in counts for name in each})
        medians = {name: statistics.median(each[name] for each in counts) for name in names}
        ctx.bench.memo[memo] = {f"db_{k}": v for k, v in (medians | round_trips(medians)).items()}
    found: dict[str, Any] = ctx.bench.memo[memo]
    return found


def slowest_imports(stderr: str, count: int = 3) -> str:
    """The top-level imports (not nested in another) with the largest cumulative time."""
    tops: list[tuple[int, str]] = []
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match and len(match.group(3)) <= 1:
            tops.append((int(match.group(2)), match.group(4)))
    return ", ".join(f"{module} {us / 1000:.0f} ms" for us, module in sorted(tops)[::-1][:count])
