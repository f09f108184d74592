"""The whole-suite figures, which share one set of suite runs because each run takes minutes.

per_test_ms, suite_serial_s and suite_parallel_s all read the same runs, as do the list of
slow tests and the parallel crossover (benchmarks.crossover).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from benchmarks.core import DEFAULT_ENGINE, Bench, Figure, PytestRun, engine_key, rounded

PARALLEL = ("-n", "2", "--dist", "worksteal")
NOT_SLOW = ("-m", "not slow")
SLOW_TEST_S = 0.1
# Each step of a suite round: the way it runs, and serial or with PARALLEL.
STEPS = {
    "naive": ("naive", "serial"),
    "optimized": ("optimized", "serial"),
    "parallel": ("optimized", "parallel"),
}


@dataclass
class SuiteRuns:
    """The suite runs shared by per_test_ms, suite_serial_s, suite_parallel_s and the crossover.

    They leave out the tests marked slow: those start subprocesses or hash with real argon2 on
    purpose, cost the same both ways, and would hide the difference being measured.
    `with_slow` is one optimized serial run of everything, when asked for.
    """

    serial: dict[str, list[PytestRun]] = field(
        default_factory=lambda: {"naive": [], "optimized": []}
    )
    parallel: list[PytestRun] = field(default_factory=list)  # optimized only
    with_slow: PytestRun | None = None
    engine: str = DEFAULT_ENGINE


def suite_runs(
    bench: Bench,
    rounds: int,
    naive_rounds: int,
    selection: list[str],
    with_slow: bool,
    engine: str = DEFAULT_ENGINE,
) -> SuiteRuns:
    """Optimized serial and -n 2 runs each round; the naive serial run in the first rounds."""
    runs = SuiteRuns(engine=engine)
    label = engine_key("suite", engine)
    steps = bench.rounds(label, rounds, naive_rounds=naive_rounds, then=("parallel",))
    for step in steps:
        way, mode = STEPS[step]
        run = bench.pytest(
            f"suite-{mode}-{way}",
            ["-q", *NOT_SLOW, *(PARALLEL if mode == "parallel" else ()), *selection],
            engine=engine,
            naive=way == "naive",
        )
        (runs.parallel if mode == "parallel" else runs.serial[way]).append(run)
        bench.progress(f"{label}: {way} {mode}: {len(run.tests)} tests in {run.wall_s:.1f} s")
    if with_slow:
        bench.progress(f"{label}: everything, slow tests included, optimized, serial")
        runs.with_slow = bench.pytest("suite-with-slow", ["-q", *selection], engine=engine)
        bench.progress(
            f"{label}: everything: {len(runs.with_slow.tests)} tests in "
            f"{runs.with_slow.wall_s:.1f} s"
        )
    return runs


def suite_figures(
    runs: SuiteRuns, naive_rounds: int, db_calls: dict[str, Any] | None = None
) -> list[Figure]:
    """per_test_ms, suite_serial_s and suite_parallel_s on the runs' engine.

    `db_calls`: the database calls of the reference API test (benchmarks.processes.db_counts),
    which explain where per_test_ms goes.
    """

    def key(name: str) -> str:
        return engine_key(name, runs.engine)

    first = runs.serial["optimized"][0] if runs.serial["optimized"] else None
    left_out = first.timings.get("deselected", 0) if first and first.timings else 0
    scope = (
        f"the suite without its {left_out} tests marked slow (`-m 'not slow'`, what "
        "`nox -s fast` runs); naive: "
        f"{naive_rounds} round(s), serial only (the slowest part of the bench)"
    )
    per_test = Figure(
        key("per_test_ms"),
        "ms",
        "median setup + call + teardown per test over the suite (serial runs)",
        "optimized <= 5 ms and >= 20x less than naive",
    )
    for way, way_runs in runs.serial.items():
        for run in way_runs:
            per_test.add(way, run.median_test_ms())
    per_test.notes.append(scope)
    per_test.extra = {"tests": len(first.tests) if first else 0}
    if db_calls:
        per_test.extra["database_calls_per_api_test"] = db_calls
    for way, way_runs in runs.serial.items():
        means = [statistics.mean(run.per_test_s()) * 1000 for run in way_runs if run.tests]
        if means:
            per_test.extra[f"mean_{way}_ms"] = rounded(statistics.median(means))
    per_test.met = per_test.at_most(5) and (per_test.ratio or 0) >= 20

    serial = Figure(
        key("suite_serial_s"), "s", "wall of the suite, serial", ">= 10x less than naive"
    )
    parallel = Figure(
        key("suite_parallel_s"),
        "s",
        "wall of the suite, `-n 2 --dist worksteal`; naive = the naive suite, serial, as the "
        "guide's 'before' ran",
        ">= 10x less than naive serial; crossover reported",
    )
    for way, way_runs in runs.serial.items():
        serial.values(way).extend(run.wall_s for run in way_runs)
    parallel.naive.extend(serial.naive)
    parallel.optimized.extend(run.wall_s for run in runs.parallel)
    for figure in (serial, parallel):
        figure.notes.append(scope)
        figure.met = (figure.ratio or 0) >= 10
    if runs.with_slow is not None:
        slow = [test["seconds"] for test in runs.with_slow.tests if test["slow"]]
        serial.extra = {
            "everything_optimized_s": rounded(runs.with_slow.wall_s),
            "everything_tests": len(runs.with_slow.tests),
            "slow_tests": len(slow),
            "slow_tests_time_s": rounded(sum(slow)),
        }
    return [per_test, serial, parallel]


def test_medians(runs: list[PytestRun]) -> dict[str, float]:
    """Each test's median seconds over `runs`, by node id."""
    seconds: dict[str, list[float]] = {}
    for run in runs:
        for test in run.tests:
            seconds.setdefault(test["nodeid"], []).append(float(test["seconds"]))
    return {nodeid: statistics.median(values) for nodeid, values in seconds.items()}


def per_test_distribution(runs: SuiteRuns) -> dict[str, list[float]]:
    """Each way's per-test times in ms (median over its serial runs), for the per-test chart.

    Kept whole in latest.json (`per_test_distribution`), ascending, three significant digits:
    the table shows only the median.
    """
    found: dict[str, list[float]] = {}
    for way, way_runs in runs.serial.items():
        if medians := test_medians(way_runs):
            found[way] = sorted(float(f"{median * 1000:.3g}") for median in medians.values())
    return found


def slow_tests(runs: SuiteRuns) -> list[dict[str, Any]]:
    """Tests above 100 ms (median of the optimized serial runs), and every test marked slow."""
    measured = [*runs.serial["optimized"], *([runs.with_slow] if runs.with_slow else [])]
    marked = {test["nodeid"]: test["slow"] for run in measured for test in run.tests}
    rows: list[dict[str, Any]] = []
    for nodeid, median in test_medians(measured).items():
        if median > SLOW_TEST_S or marked[nodeid]:
            rows.append(
                {"nodeid": nodeid, "ms": rounded(median * 1000), "marked_slow": marked[nodeid]}
            )
    return sorted(rows, key=lambda row: -row["ms"])
