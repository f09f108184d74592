"""One bench run: measure the chosen figures in the registry's order and gather the result.

The figures measured alone come first, then the whole-suite runs (the longest part), so a
mistake in a quick figure shows before minutes are spent.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.core import Bench, Figure, Progress
from benchmarks.crossover import crossover
from benchmarks.figures import BY_KEY, KEYS, SUITE_KEYS, Plan
from benchmarks.suite import slow_tests, suite_figures, suite_runs


def run(plan: Plan, output: Path) -> dict[str, Any]:
    """Measure what `plan` asks for; the result document `report` writes and `compare` reads."""
    wanted = plan.only or list(KEYS)
    progress = Progress()
    bench = Bench(output, progress)
    started = report.machine()
    figures: dict[str, Figure] = {}
    found_crossover, slow = None, None
    progress(
        f"{len(wanted)} figure(s), {plan.rounds} round(s) each; whole suite "
        f"{plan.suite_rounds} round(s), its naive runs {plan.naive_rounds}; "
        f"logs in {bench.logs}"
    )
    alone = [(key, measure) for key in wanted if (measure := BY_KEY[key].measure) is not None]
    parts = len(alone) + (1 if len(alone) < len(wanted) else 0)
    for number, (key, measure) in enumerate(alone, start=1):
        progress(f"part {number}/{parts}: {key}")
        figure = measure(bench, plan)
        if figure is not None:
            figures[key] = figure
            progress(f"{key}: {summary_line(figure)}")
    if any(key in SUITE_KEYS for key in wanted):
        progress(f"part {parts}/{parts}: {', '.join(SUITE_KEYS)}")
        runs = suite_runs(bench, plan.suite_rounds, plan.naive_rounds, plan.suite, plan.with_slow)
        for figure in suite_figures(runs, plan.naive_rounds):
            if figure.key in wanted:
                figures[figure.key] = figure
                progress(f"{figure.key}: {summary_line(figure)}")
        slow = slow_tests(runs)
        if "suite_parallel_s" in wanted and plan.crossover_max > 0:
            found_crossover = crossover(bench, runs, plan.crossover_max, plan.suite)
            progress(f"crossover: {found_crossover.get('summary')}")
    return report.document(
        {key: figures[key].summary() for key in KEYS if key in figures},
        options=dataclasses.asdict(plan),
        started=started,
        elapsed_s=progress.elapsed,
        crossover=found_crossover,
        slow_tests=slow,
        warnings=bench.warnings,
    )


def summary_line(figure: Figure) -> str:
    """The progress line after a figure, so a long run shows its numbers as they come."""
    ratio = f"{report.number(figure.ratio)}x" if figure.ratio else "-"
    return (
        f"naive {report.number(figure.median('naive'))} {figure.unit}, optimized "
        f"{report.number(figure.median('optimized'))} {figure.unit}, ratio {ratio}"
    )
