"""The one list of figures, and one run over the figures a plan asks for.

Each figure is defined once, by the `figure` decorator on the function that measures it
(benchmarks.core.Definition: unit, label, target; its docstring says how). Keys: SQLite's is
the figure's name, the other engines' `name@engine`. A measure that makes several figures (the
suite runs, the one-off costs) runs once per engine. The order is the tables' and the run's:
the quick figures first, so a mistake shows before the minutes of whole-suite runs.
"""

from __future__ import annotations

from pathlib import Path

import pyperf

from benchmarks import databases, in_process, processes, suite
from benchmarks.core import DEFINITIONS, Bench, Context, Plan, engine_key

# The modules that define figures, in the tables' and the run's order.
ORDER = [module.__name__ for module in (in_process, processes, databases, suite)]
DEFINITIONS.sort(key=lambda definition: ORDER.index(definition.measure.__module__))
SCALE = {"s": 1.0, "ms": 1e3, "us": 1e6}  # pyperf keeps seconds; the tables show the unit
BY_NAME = {definition.name: definition for definition in DEFINITIONS}
NAMES = tuple(BY_NAME)
KEYS = tuple(engine_key(d.name, engine) for d in DEFINITIONS for engine in d.engines)


def selected(plan: Plan) -> list[str]:
    """The keys a plan asks for: on its engines, and named in `--only` (by name or key)."""
    return [
        engine_key(d.name, engine)
        for d in DEFINITIONS
        for engine in d.engines
        if engine in plan.engines
        and (plan.only is None or {d.name, engine_key(d.name, engine)} & set(plan.only))
    ]


def run(plan: Plan, output: Path) -> tuple[pyperf.BenchmarkSuite, list[str]]:
    """Measure what `plan` asks for: the pyperf suite, and the pytest runs that did not pass
    (the figures they fed carry them in their metadata, `failed_runs`)."""
    bench, wanted = Bench(output, plan), selected(plan)
    bench.progress(f"{len(wanted)} figure(s) on {', '.join(plan.engines)}; logs in {bench.logs}")
    done = set()
    for d in DEFINITIONS:
        for engine in plan.engines:
            if engine_key(d.name, engine) in wanted and (d.measure, engine) not in done:
                done.add((d.measure, engine))
                before = len(bench.failures)
                d.measure(Context(bench, engine, d.name))
                made = {engine_key(e.name, engine) for e in DEFINITIONS if e.measure == d.measure}
                for failure in bench.failures[before:]:
                    bench.progress(f"FAILED RUN: {failure}")
                    for key in made & set(wanted):
                        bench.metadata[key]["failed_runs"] = "; ".join(bench.failures[before:])
    return bench.suite(set(KEYS) - set(wanted)), bench.failures
