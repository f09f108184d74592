"""Where `-n 2` starts to beat a serial run: whether a suite this size should run in parallel.

The same selection as the suite figures (tests marked slow left out: they are few, long and
parallelize well, which would hide the question: when do the ordinary millisecond tests gain
from workers?). Smaller sizes are an even sample of the tests (`--bench-limit`); larger ones
repeat every test (`--bench-repeat`). The suite's own size comes from the suite runs.
"""

from __future__ import annotations

import itertools
import statistics
from typing import Any

from benchmarks.core import Bench, rounded
from benchmarks.suite import NOT_SLOW, PARALLEL, SuiteRuns


def crossover(
    bench: Bench, runs: SuiteRuns, max_repeat: int, selection: list[str], budget_s: float = 45
) -> dict[str, Any]:
    """Shrink or grow the suite until `-n 2` and serial swap places."""
    points: list[dict[str, Any]] = []

    def point(label: str, size_args: list[str]) -> dict[str, Any]:
        measured = {}
        for mode, extra in (("serial", ()), ("parallel", PARALLEL)):
            bench.progress(f"crossover: {label}, {mode}")
            measured[mode] = bench.pytest(
                f"crossover-{label}-{mode}",
                ["-q", *NOT_SLOW, *extra, *size_args, *selection],
                engine=runs.engine,
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
    return {"engine": runs.engine, **describe_crossover(points)}


def describe_crossover(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Where `-n 2` starts to beat serial: interpolated between measured sizes, and a line fit."""
    result: dict[str, Any] = {
        "selection": "tests not marked slow",
        "points": [{k: rounded(v) for k, v in p.items()} for p in points],
    }
    for before, after in itertools.pairwise(points):
        gap_before = before["parallel_s"] - before["serial_s"]
        gap_after = after["parallel_s"] - after["serial_s"]
        if gap_before >= 0 > gap_after:
            share = gap_before / (gap_before - gap_after)
            result["tests"] = round(before["tests"] + share * (after["tests"] - before["tests"]))
            result["serial_s"] = rounded(
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
            result["fit"]["crossover_serial_s"] = rounded(fit_serial[0] + fit_serial[1] * tests)
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
