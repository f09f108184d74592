"""One bench run: measure the chosen figures in the registry's order and gather the result.

The figures measured alone come first, then the one-off costs, then the whole-suite runs (the
longest part), each engine in turn, so a mistake in a quick figure shows before minutes are
spent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.core import DEFAULT_ENGINE, Bench, Figure, Progress, engine_key
from benchmarks.crossover import crossover
from benchmarks.databases import one_off_costs
from benchmarks.figures import KEYS, SHARED_GROUPS, Entry, Plan, selected
from benchmarks.processes import db_counts
from benchmarks.suite import per_test_distribution, slow_tests, suite_figures, suite_runs

# Samples of each one-off cost: at least this many, more when more rounds are asked for.
ONE_OFF_SAMPLES = 3


def run(plan: Plan, output: Path) -> dict[str, Any]:
    """Measure what `plan` asks for; the result document `report` writes and `compare` reads."""
    wanted = selected(plan)
    keys = {entry.key for entry in wanted}
    progress = Progress()
    bench = Bench(output, progress)
    started = report.machine()
    figures: dict[str, Figure] = {}
    extras: dict[str, Any] = {"crossover": None, "slow_tests": None, "distribution": {}}
    progress(
        f"{len(wanted)} figure(s) on {', '.join(plan.engines)}, {plan.rounds} round(s) each; "
        f"whole suite {plan.suite_rounds} round(s), its naive runs {plan.naive_rounds}; "
        f"logs in {bench.logs}"
    )
    parts: list[tuple[str, Callable[[], Iterable[Figure | None]]]] = [
        (entry.key, partial(measure_alone, bench, plan, entry))
        for entry in wanted
        if entry.group not in SHARED_GROUPS
    ]
    for engine in plan.engines:
        if any(entry.group == "one-off" and entry.engine == engine for entry in wanted):
            samples = max(plan.rounds, ONE_OFF_SAMPLES)
            parts.append(
                (f"one-off costs ({engine})", partial(one_off_costs, bench, samples, engine))
            )
    for engine in plan.engines:
        if any(entry.group == "suite" and entry.engine == engine for entry in wanted):
            parts.append(
                (
                    f"the whole suite ({engine})",
                    partial(measure_suite, bench, plan, engine, keys, extras),
                )
            )
    for number, (label, measure) in enumerate(parts, start=1):
        progress(f"part {number}/{len(parts)}: {label}")
        failures_before = len(bench.failures)
        for figure in measure():
            if figure is not None and figure.key in keys:
                # Every figure of a part that had a failing pytest run is flagged with it.
                figure.failed_runs.extend(bench.failures[failures_before:])
                figures[figure.key] = figure
                progress(f"{figure.key}: {summary_line(figure)}")
        for failure in bench.failures[failures_before:]:
            progress(f"FAILED RUN: {failure}")
    return report.document(
        {key: figures[key].summary() for key in KEYS if key in figures},
        options=dataclasses.asdict(plan),
        started=started,
        elapsed_s=progress.elapsed,
        crossover=extras["crossover"],
        slow_tests=extras["slow_tests"],
        warnings=bench.warnings,
        failed_runs=bench.failures,
        per_test_distribution=extras["distribution"] or None,
    )


def measure_alone(bench: Bench, plan: Plan, entry: Entry) -> list[Figure | None]:
    assert entry.definition.measure is not None, f"{entry.key} is measured with its group"
    return [entry.definition.measure(bench, plan, entry.engine)]


def measure_suite(
    bench: Bench, plan: Plan, engine: str, keys: set[str], extras: dict[str, Any]
) -> list[Figure]:
    """The suite runs on one engine; the slow tests and the crossover of the first engine."""
    runs = suite_runs(
        bench, plan.suite_rounds, plan.naive_rounds, plan.suite, plan.with_slow, engine
    )
    figures = suite_figures(runs, plan.naive_rounds, db_counts(bench, engine))
    if engine_key("per_test_ms", engine) in keys:
        extras["distribution"][engine] = per_test_distribution(runs)
    first = DEFAULT_ENGINE if DEFAULT_ENGINE in plan.engines else plan.engines[0]
    if engine == first:
        extras["slow_tests"] = slow_tests(runs)
        if engine_key("suite_parallel_s", engine) in keys and plan.crossover_max > 0:
            extras["crossover"] = crossover(bench, runs, plan.crossover_max, plan.suite)
            bench.progress(f"crossover: {extras['crossover'].get('summary')}")
    return figures


def summary_line(figure: Figure) -> str:
    """The progress line after a figure, so a long run shows its numbers as they come."""
    ratio = f"{report.number(figure.ratio)}x" if figure.ratio else "-"
    flag = f"; {len(figure.failed_runs)} FAILED RUN(S)" if figure.failed_runs else ""
    return (
        f"naive {report.number(figure.median('naive'))} {figure.unit}, optimized "
        f"{report.number(figure.median('optimized'))} {figure.unit}, ratio {ratio}{flag}"
    )
