"""The one list of figures (each defined by the `figure` decorator on its measure), and a run
over those the options ask for. The order is the tables' and the run's: the quick figures first,
so a mistake shows before the minutes of whole-suite runs.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pyperf

from benchmarks import in_process, processes, suite
from benchmarks.core import DEFINITIONS, Bench, engine_key, split_key

ORDER = [module.__name__ for module in (in_process, processes, suite)]
DEFINITIONS.sort(key=lambda definition: ORDER.index(definition.measure.__module__))
BY_NAME = {definition.name: definition for definition in DEFINITIONS}
KEYS = tuple(engine_key(d.name, engine) for d in DEFINITIONS for engine in d.engines)


def selected(plan: argparse.Namespace) -> list[str]:
    """The keys asked for: on `--engines`, and named in `--only` (by name or key)."""
    return [
        key
        for key in KEYS
        if split_key(key)[1] in plan.engines
        and (plan.only is None or {split_key(key)[0], key} & set(plan.only))
    ]


def run(plan: argparse.Namespace, output: Path) -> tuple[pyperf.BenchmarkSuite, list[str]]:
    """The pyperf suite of what `plan` asks for, and the pytest runs that did not pass."""
    bench, wanted = Bench(output, plan), selected(plan)
    bench.progress(f"{len(wanted)} figure(s) on {', '.join(plan.engines)}; logs in {bench.logs}")
    done = set()
    for d in DEFINITIONS:
        for engine in plan.engines:
            if engine_key(d.name, engine) in wanted and (d.measure, engine) not in done:
                done.add((d.measure, engine))
                before, bench.engine, bench.name = len(bench.failures), engine, d.name
                if (measured := d.measure(bench)) is not None:
                    asyncio.run(measured)
                made = {engine_key(e.name, engine) for e in DEFINITIONS if e.measure == d.measure}
                for key in made & set(wanted) if bench.failures[before:] else ():
                    bench.metadata[key]["failed_runs"] = "; ".join(bench.failures[before:])
    for failure in bench.failures:
        bench.progress(f"FAILED RUN: {failure}")
    return bench.suite(set(KEYS) - set(wanted)), bench.failures
