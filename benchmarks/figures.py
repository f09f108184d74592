"""The one list of figures, so that the options, the run and the table agree on what exists.

Each figure is defined once: its name, its group (timed in this process, in a fresh pytest
process, from the shared whole-suite runs, or among a run's one-off costs), the engines it is
measured on and how to measure it on one engine given the run's Plan. The registry has one
entry per figure and engine, generated from those definitions: SQLite's keeps the figure's
name as its key (results from before PostgreSQL compare), the others are `name@engine`
(benchmarks.core.engine_key). The list's order is the table's order, engines side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from benchmarks import in_process, per_request, processes
from benchmarks.core import DEFAULT_ENGINE, ENGINES, Bench, Figure, engine_key

Group = Literal["in-process", "subprocess", "suite", "one-off"]
# The groups whose figures are measured together, once per engine (benchmarks.runner).
SHARED_GROUPS: tuple[Group, ...] = ("one-off", "suite")


@dataclass(frozen=True)
class Plan:
    """What one bench run was asked for; the result records it as its `options`."""

    rounds: int
    suite_rounds: int
    naive_rounds: int
    with_slow: bool
    crossover_max: int
    only: list[str] | None  # figure names or keys
    suite: list[str]  # what "the whole suite" is; empty: pytest's testpaths
    engines: list[str]


Measure = Callable[[Bench, Plan, str], Figure | None]


@dataclass(frozen=True)
class Definition:
    name: str
    group: Group
    # None for the shared groups: one measurement per engine makes all their figures.
    measure: Measure | None = None
    engines: tuple[str, ...] = ENGINES


@dataclass(frozen=True)
class Entry:
    """One figure on one engine: a row of the table, a key of the result."""

    key: str
    definition: Definition
    engine: str

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def group(self) -> Group:
        return self.definition.group


SQLITE_ONLY = (DEFAULT_ENGINE,)
DEFINITIONS = (
    Definition(
        "db_isolation_ms", "in-process", lambda b, p, e: in_process.db_isolation(b, p.rounds, e)
    ),
    Definition(
        "password_hash_us",
        "in-process",
        lambda b, p, e: in_process.password_hash(b, p.rounds),
        SQLITE_ONLY,  # no database involved
    ),
    Definition(
        "shared_data_ms",
        "in-process",
        lambda b, p, e: in_process.shared_data(b, p.rounds),
        SQLITE_ONLY,
    ),
    Definition(
        "single_test_s", "subprocess", lambda b, p, e: processes.single_test(b, p.rounds, e)
    ),
    Definition(
        "single_test_warm_s",
        "subprocess",
        lambda b, p, e: processes.single_test_warm(b, p.rounds, e),
    ),
    Definition("api_test_ms", "subprocess", lambda b, p, e: processes.api_test(b, p.rounds, e)),
    # Per route, in-process, the optimized way only (benchmarks.per_request).
    Definition(
        "request_health_ms",
        "in-process",
        lambda b, p, e: per_request.request_time(b, p.rounds, e, "health"),
    ),
    Definition(
        "request_users_me_ms",
        "in-process",
        lambda b, p, e: per_request.request_time(b, p.rounds, e, "users_me"),
    ),
    Definition(
        "auth_module_s",
        "subprocess",
        lambda b, p, e: processes.auth_module(b, p.rounds, p.naive_rounds, e),
    ),
    Definition("per_test_ms", "suite"),
    Definition("suite_serial_s", "suite"),
    Definition("suite_parallel_s", "suite"),
    Definition(
        "collection_s",
        "subprocess",
        lambda b, p, e: processes.collection(b, p.rounds, p.suite),
        SQLITE_ONLY,  # collection imports the same modules on either engine
    ),
    Definition("server_start_s", "one-off", engines=("postgresql",)),
    Definition("template_build_s", "one-off"),
    Definition("clone_ms", "one-off"),
    Definition("drop_ms", "one-off"),
)
FIGURES = tuple(
    Entry(engine_key(definition.name, engine), definition, engine)
    for definition in DEFINITIONS
    for engine in definition.engines
)
BY_KEY = {entry.key: entry for entry in FIGURES}
KEYS = tuple(BY_KEY)
NAMES = tuple(definition.name for definition in DEFINITIONS)


def selected(plan: Plan) -> list[Entry]:
    """The entries a plan asks for: on its engines, and named in `--only` (name or key)."""
    return [
        entry
        for entry in FIGURES
        if entry.engine in plan.engines
        and (plan.only is None or entry.key in plan.only or entry.name in plan.only)
    ]
