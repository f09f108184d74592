"""The whole-suite figures, which share one set of suite runs (each takes minutes), and the
parallel crossover: where `-n 2` starts to beat a serial run.

They leave out the tests marked slow (subprocesses, real argon2 on purpose: the same cost both
ways, they would hide the difference measured). The crossover's smaller sizes are an even
sample of the tests (`--bench-limit`), larger ones repeat each (pytest-repeat's `--count`).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import defaultdict
from typing import Any

import pyperf

from benchmarks.core import PLUGIN, Bench, PytestRun, figure, split_key
from benchmarks.processes import db_counts

PARALLEL = ("-n", "2", "--dist", "worksteal")
NOT_SLOW = ("-q", "-m", "not slow")
MODES = ("serial", "parallel")


@figure("suite_parallel_s", "suite, `-n 2` (vs naive serial)", ratio=10)
@figure("suite_serial_s", "suite, serial", ratio=10)
@figure("per_test_ms", "per test, median over the suite", at_most=5, ratio=20)
def measure(bench: Bench) -> None:
    """The suite without its tests marked slow (what `nox -s fast` runs): each test's setup +
    call + teardown, and the wall, serial and `-n 2 --dist worksteal` (whose naive is the naive
    suite, serial); naive in the first --naive-rounds only."""
    plan, serial = bench.plan, []
    for way in bench.rounds(plan.naive_rounds, plan.suite_rounds, bench.key("suite")):
        for mode in MODES if way == "optimized" else ("serial",):
            run = size(bench, f"suite-{mode}-{way}", mode, [], naive=way == "naive")
            bench.progress(f"{way} {mode}: {len(run.values)} tests, {run.wall_s:.1f} s")
            if mode == "serial":
                serial += [run] if way == "optimized" else []
                bench.record(way, run.values, "per_test_ms")
                bench.record(way, [run.wall_s], "suite_serial_s")
            if mode == "parallel" or way == "naive":  # the naive as the guide's "before" ran
                bench.record(way, [run.wall_s], "suite_parallel_s")
    tests = len(serial[0].values) if serial else 0
    left_out = (
        int(([0, *re.findall(r"(\d+) deselected", serial[0].log.read_text())])[-1]) if serial else 0
    )
    for name in ("per_test_ms", "suite_serial_s", "suite_parallel_s"):
        bench.extra(name, tests=tests, deselected=left_out)
    bench.extra("per_test_ms", **db_counts(bench, bench.engine))
    asked = plan.only is None or {"suite_parallel_s", bench.key("suite_parallel_s")} & {*plan.only}
    if plan.crossover_max > 0 and bench.engine == plan.engines[0] and asked:
        crossover(bench, tests)


def size(bench: Bench, label: str, mode: str, args: list[str], naive: bool = False) -> PytestRun:
    """One run of the suite (resized by `args`), also a point of the crossover if optimized."""
    args = [*NOT_SLOW, *(PARALLEL if mode == "parallel" else ()), *args, *bench.plan.suite]
    run = bench.pytest(label, args, naive=naive)
    if not naive:
        bench.record(mode, [run.wall_s], f"crossover:{len(run.values)}")
    return run


def crossover(bench: Bench, tests: int, budget_s: float = 45) -> None:
    """Shrink or grow the suite until `-n 2` and serial swap places (or serial passes budget_s)."""

    def point(label: str, args: list[str]) -> dict[str, float]:
        return {m: size(bench, f"crossover-{label}-{m}", m, args).wall_s for m in MODES}

    full = points(bench.runs)[1].get(tests) or point("all", [])
    shrink, step = full["parallel"] < full["serial"], 2  # shrink until serial wins, else grow
    while tests // step >= 10 if shrink else step <= bench.plan.crossover_max:
        limit = tests // step  # an even sample, or each test repeated
        args = [*PLUGIN, f"--bench-limit={limit}"] if shrink else [f"--count={step}"]
        walls = point(f"sample{limit}" if shrink else f"x{step}", args)
        if (walls["parallel"] < walls["serial"]) != shrink or walls["serial"] > budget_s:
            break
        step *= 2


def points(runs: Any) -> tuple[str, dict[int, dict[str, float]]]:
    """The crossover's engine (the one with most sizes) and its sizes: tests -> median wall per
    mode, from the runs being recorded (names to pyperf runs) or a saved BenchmarkSuite."""
    if isinstance(runs, pyperf.BenchmarkSuite):
        runs = {each.get_name(): each.get_runs() for each in runs}
    found: dict[str, dict[int, dict[str, float]]] = defaultdict(dict)
    for name, mode_runs in runs.items():
        (figure_name, engine), mode = split_key(name.rpartition(":")[0]), name.rpartition(":")[2]
        kind, _, tests = figure_name.partition(":")
        if kind == "crossover" and tests.isdigit():
            walls = [value for run in mode_runs for value in run.values]
            found[engine].setdefault(int(tests), {})[mode] = statistics.median(walls)
    engine = max(found, key=lambda each: len(found[each]), default="")
    sizes = found.get(engine, {})
    return engine, {tests: sizes[tests] for tests in sorted(sizes) if len(sizes[tests]) == 2}


def describe_crossover(found: dict[int, dict[str, float]]) -> dict[str, Any]:
    """Where `-n 2` starts to beat serial (interpolated between measured sizes), line fits."""
    result: dict[str, Any] = {"fit": {}}
    for (before, b), (after, a) in itertools.pairwise(found.items()):
        gap_before, gap_after = b["parallel"] - b["serial"], a["parallel"] - a["serial"]
        if gap_before >= 0 > gap_after:
            share = gap_before / (gap_before - gap_after)
            result["tests"] = round(before + share * (after - before))
            result["serial_s"] = b["serial"] + share * (a["serial"] - b["serial"])
            break
    for mode in MODES if len(found) >= 2 else ():
        fit = statistics.linear_regression(list(found), [p[mode] for p in found.values()])
        result["fit"][mode] = (fit.intercept, fit.slope)
    if "tests" in result:
        result["summary"] = (
            f"-n 2 beats serial from about {result['tests']} tests (about "
            f"{result['serial_s']:.1f} s of serial wall) on this machine"
        )
    elif found:
        faster = "-n 2" if all(p["parallel"] < p["serial"] for p in found.values()) else "serial"
        result["summary"] = (
            f"{faster} was faster at every size measured ({', '.join(map(str, found))} tests)"
        )
    return result
