"""The one list of figures, so that the options, the run and the table agree on what exists.

Each figure has a name, a group (timed in this process, in a fresh pytest process, or from the
shared whole-suite runs) and how to measure it given the run's Plan. The list's order is the
table's order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from benchmarks import in_process, processes
from benchmarks.core import Bench, Figure

Group = Literal["in-process", "subprocess", "suite"]


@dataclass(frozen=True)
class Plan:
    """What one bench run was asked for; the result records it as its `options`."""

    rounds: int
    suite_rounds: int
    naive_rounds: int
    with_slow: bool
    crossover_max: int
    only: list[str] | None
    suite: list[str]  # what "the whole suite" is; empty: pytest's testpaths


Measure = Callable[[Bench, Plan], Figure | None]


@dataclass(frozen=True)
class Entry:
    key: str
    group: Group
    # None for the suite group: one set of suite runs measures those together (benchmarks.suite).
    measure: Measure | None = None


FIGURES = (
    Entry("db_isolation_ms", "in-process", lambda b, p: in_process.db_isolation(b, p.rounds)),
    Entry("password_hash_us", "in-process", lambda b, p: in_process.password_hash(b, p.rounds)),
    Entry("shared_data_ms", "in-process", lambda b, p: in_process.shared_data(b, p.rounds)),
    Entry("single_test_s", "subprocess", lambda b, p: processes.single_test(b, p.rounds)),
    Entry("api_test_ms", "subprocess", lambda b, p: processes.api_test(b, p.rounds)),
    Entry(
        "auth_module_s",
        "subprocess",
        lambda b, p: processes.auth_module(b, p.rounds, p.naive_rounds),
    ),
    Entry("per_test_ms", "suite"),
    Entry("suite_serial_s", "suite"),
    Entry("suite_parallel_s", "suite"),
    Entry(
        "collection_s",
        "subprocess",
        lambda b, p: processes.collection(b, p.rounds, p.suite),
    ),
)
BY_KEY = {entry.key: entry for entry in FIGURES}
KEYS = tuple(BY_KEY)
SUITE_KEYS = tuple(entry.key for entry in FIGURES if entry.group == "suite")
