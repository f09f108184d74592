"""The whole-suite figures, which share one set of suite runs because each run takes minutes,
and the parallel crossover: where `-n 2` starts to beat a serial run.

per_test_ms (every test's time, each serial run one pyperf run), suite_serial_s and
suite_parallel_s read the same runs. They leave out the tests marked slow: those start
subprocesses or hash with real argon2 on purpose, cost the same both ways, and would hide the
difference being measured (and the crossover's question: when do the ordinary millisecond tests
gain from workers?). The crossover's smaller sizes are an even sample of the tests
(`--bench-limit`), larger ones repeat each (pytest-repeat's `--count`); each size is a run of
the benchmarks `crossover:serial` and `crossover:parallel`, its test count in the run's metadata.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from typing import Any

import pyperf

from benchmarks.core import PLUGIN, Context, PytestRun, engine_key, figure
from benchmarks.processes import db_counts

PARALLEL = ("-n", "2", "--dist", "worksteal")
NOT_SLOW = ("-q", "-m", "not slow")
SLOW_TEST_S = 0.1
MODES = ("serial", "parallel")


@figure("suite_parallel_s", "s", "suite, `-n 2` (vs naive serial)", ratio=10)
@figure("suite_serial_s", "s", "suite, serial", ratio=10)
@figure("per_test_ms", "ms", "per test, median over the suite", at_most=5, ratio=20)
def measure(ctx: Context) -> None:
    """The suite without its tests marked slow (what `nox -s fast` runs): each test's setup +
    call + teardown, and the wall, serial and `-n 2 --dist worksteal` (whose naive is the naive
    suite, serial); naive in the first --naive-rounds only.

    Then everything once (`--with-slow`) and the crossover."""
    bench, plan = ctx.bench, ctx.plan
    serial: dict[str, list[PytestRun]] = {"naive": [], "optimized": []}
    for way in bench.rounds(ctx.key("suite"), plan.suite_rounds, plan.naive_rounds):
        for mode in ("serial", "parallel") if way == "optimized" else ("serial",):
            run = bench.pytest(
                f"suite-{mode}-{way}",
                [*NOT_SLOW, *PARALLEL[: 4 * (mode == "parallel")], *plan.suite],
                engine=ctx.engine,
                naive=way == "naive",
            )
            bench.progress(
                f"{ctx.key('suite')}: {way} {mode}: {len(run.values)} tests in {run.wall_s:.1f} s"
            )
            if mode == "serial":
                serial[way].append(run)
                ctx.record(way, run.values, "per_test_ms")
                ctx.record(way, [run.wall_s], "suite_serial_s")
            # The parallel figure's naive is the naive suite, serial, as the guide's "before" ran.
            if mode == "parallel" or way == "naive":
                ctx.record(way, [run.wall_s], "suite_parallel_s")
            if way == "optimized":
                record_size(ctx, mode, run)
    tests = len(serial["optimized"][0].values) if serial["optimized"] else 0
    left_out = serial["optimized"][0].deselected if serial["optimized"] else 0
    for name in ("per_test_ms", "suite_serial_s", "suite_parallel_s"):
        ctx.extra(name, tests=tests, left_out_marked_slow=left_out)
    ctx.extra("per_test_ms", **db_counts(ctx))
    everything = None
    if plan.with_slow:
        bench.progress(f"{ctx.key('suite')}: everything, slow tests included, optimized, serial")
        everything = bench.pytest("suite-with-slow", ["-q", *plan.suite], engine=ctx.engine)
        slow = [
            s
            for test, s in everything.seconds.items()
            if test not in serial["optimized"][0].seconds
        ]
        ctx.extra(
            "suite_serial_s",
            everything_optimized_s=everything.wall_s,
            everything_tests=len(everything.values),
            slow_tests=len(slow),
            slow_tests_time_s=sum(slow),
        )
    ctx.extra("suite_serial_s", over_100_ms=slow_tests(serial["optimized"], everything))
    asked = plan.only is None or {"suite_parallel_s", ctx.key("suite_parallel_s")} & set(plan.only)
    if plan.crossover_max > 0 and ctx.engine == plan.engines[0] and asked:
        crossover(ctx, tests)


def record_size(ctx: Context, mode: str, run: PytestRun) -> None:
    """One run of the crossover: `crossover:<tests>:<mode>` (`crossover@<engine>:...`)."""
    ctx.bench.record(f"{ctx.key('crossover')}:{len(run.values)}", mode, [run.wall_s])


def slow_tests(runs: Sequence[PytestRun], everything: PytestRun | None) -> str:
    """Tests above 100 ms (median of the runs), and every test marked slow: those the runs of
    everything have and the others not."""
    seconds: dict[str, list[float]] = {}
    for run in [*runs, *([everything] if everything else [])]:
        for test, value in run.seconds.items():
            seconds.setdefault(test, []).append(value)
    marked = set(everything.seconds) - set(runs[0].seconds) if everything and runs else set()
    rows = sorted(((statistics.median(v), test) for test, v in seconds.items()), reverse=True)
    return "; ".join(
        f"{median * 1000:.0f} ms {test}{' (marked slow)' if test in marked else ''}"
        for median, test in rows
        if median > SLOW_TEST_S or test in marked
    )


def crossover(ctx: Context, tests: int, budget_s: float = 45) -> None:
    """Shrink or grow the suite until `-n 2` and serial swap places."""

    def point(label: str, size_args: list[str]) -> dict[str, float]:
        walls = {}
        for mode in MODES:
            ctx.bench.progress(f"crossover: {label}, {mode}")
            args = [*NOT_SLOW, *PARALLEL[: 4 * (mode == "parallel")], *size_args, *ctx.plan.suite]
            run = ctx.bench.pytest(f"crossover-{label}-{mode}", args, engine=ctx.engine)
            record_size(ctx, mode, run)
            walls[mode] = run.wall_s
        return walls

    full = points(ctx.bench.runs, ctx.engine).get(tests) or point("all", [])
    if full["parallel"] < full["serial"]:  # shrink until serial wins again
        limit = tests // 2
        while limit >= 10:
            walls = point(f"sample{limit}", [*PLUGIN, f"--bench-limit={limit}"])
            if walls["parallel"] >= walls["serial"]:
                break
            limit //= 2
    else:  # grow until parallel wins
        repeat = 2
        while repeat <= ctx.plan.crossover_max:
            walls = point(f"x{repeat}", [f"--count={repeat}"])
            if walls["parallel"] < walls["serial"] or walls["serial"] > budget_s:
                break
            repeat *= 2


def points(runs: Any, engine: str) -> dict[int, dict[str, float]]:
    """The crossover's sizes on an engine: tests -> median wall per mode, from the recorded runs
    (a dict of names to pyperf runs) or a saved suite (pyperf.BenchmarkSuite)."""
    prefix = engine_key("crossover", engine) + ":"
    found: dict[int, dict[str, float]] = {}
    if isinstance(runs, pyperf.BenchmarkSuite):
        runs = {each.get_name(): each.get_runs() for each in runs}
    for name, mode_runs in runs.items():
        size, _, mode = name.removeprefix(prefix).partition(":")
        if name.startswith(prefix) and mode in MODES:
            walls = [value for run in mode_runs for value in run.values]
            found.setdefault(int(size), {})[mode] = statistics.median(walls)
    return {size: found[size] for size in sorted(found) if len(found[size]) == 2}


def describe_crossover(found: dict[int, dict[str, float]]) -> dict[str, Any]:
    """Where `-n 2` starts to beat serial: interpolated between measured sizes, and a line fit."""
    result: dict[str, Any] = {}
    for (before, b), (after, a) in itertools.pairwise(found.items()):
        gap_before, gap_after = b["parallel"] - b["serial"], a["parallel"] - a["serial"]
        if gap_before >= 0 > gap_after:
            share = gap_before / (gap_before - gap_after)
            result["tests"] = round(before + share * (after - before))
            result["serial_s"] = b["serial"] + share * (a["serial"] - b["serial"])
            break
    if len(found) >= 2:
        fits = {
            m: statistics.linear_regression(list(found), [p[m] for p in found.values()])
            for m in MODES
        }
        result["fit"] = {mode: (fit.intercept, fit.slope) for mode, fit in fits.items()}
        (serial_a, serial_b), (parallel_a, parallel_b) = result["fit"].values()
        if serial_b > parallel_b:
            result["fit_tests"] = max(0, round((parallel_a - serial_a) / (serial_b - parallel_b)))
    sizes = list(found.items())
    if "tests" in result:
        result["summary"] = (
            f"-n 2 beats serial from about {result['tests']} tests (about "
            f"{result['serial_s']:.1f} s of serial wall) on this machine"
        )
    elif sizes and all(p["parallel"] < p["serial"] for _, p in sizes):
        result["summary"] = (
            f"-n 2 beat serial at every size measured, down to {sizes[0][0]} "
            f"tests ({sizes[0][1]['serial']:.1f} s serial)"
        )
    elif sizes:
        tests, last = sizes[-1]
        result["summary"] = (
            f"-n 2 did not beat serial up to {tests} tests ({last['serial']:.1f} s "
            f"serial, {last['parallel']:.1f} s with -n 2)"
        )
    return result
