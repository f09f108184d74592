"""A pytest plugin for the bench: records each test's setup + call + teardown time to a JSON file.

Loaded only by the bench (`python -m pytest -p benchmarks.timing_plugin --bench-timings FILE`),
never by the suite's own configuration. It measures and writes; it asserts nothing. Under xdist
the controller receives every worker's reports, so one file holds the whole run.
`--bench-repeat N` runs each collected test N times (as pytest-repeat does, by parametrizing)
and `--bench-limit N` keeps N tests, so the bench can grow or shrink the suite to find where
parallel runs start to pay. `--bench-count-db` also records each test's database calls
(benchmarks.db_counter), for the bench to explain its per-test figures.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from benchmarks.db_counter import DatabaseCalls

REPEAT_FIXTURE = "_bench_repeat_index"
SLOW_PROPERTY = "bench_marked_slow"
DB_PROPERTY = "bench_db_calls"
counter_key = pytest.StashKey[DatabaseCalls]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bench", "benchmark timings (benchmarks/timing_plugin.py)")
    group.addoption("--bench-timings", metavar="FILE", help="write per-test timings as JSON here")
    group.addoption(
        "--bench-limit",
        type=int,
        default=0,
        metavar="N",
        help="keep only N of the selected tests, evenly spread (to shrink the suite)",
    )
    group.addoption(
        "--bench-repeat",
        type=int,
        default=1,
        metavar="N",
        help="run every collected test N times (to grow the suite for the crossover figure)",
    )
    group.addoption(
        "--bench-count-db",
        action="store_true",
        help="record each test's database statements, transactions and driver calls",
    )


@pytest.fixture
def _bench_repeat_index(request: pytest.FixtureRequest) -> int:
    """Which repetition of the test this is (`--bench-repeat`)."""
    index: int = request.param
    return index


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    repeat = metafunc.config.getoption("--bench-repeat")
    if repeat > 1:
        metafunc.fixturenames.append(REPEAT_FIXTURE)
        metafunc.parametrize(
            REPEAT_FIXTURE, range(repeat), indirect=True, ids=[f"rep{i}" for i in range(repeat)]
        )


@pytest.hookimpl(trylast=True)  # after -m/-k deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    limit = config.getoption("--bench-limit")
    if not 0 < limit < len(items):
        return
    by_name = sorted(items, key=lambda item: item.nodeid)  # the same sample in every run
    step = len(by_name) / limit
    chosen = {id(by_name[int(index * step)]) for index in range(limit)}
    config.hook.pytest_deselected(items=[item for item in items if id(item) not in chosen])
    items[:] = [item for item in items if id(item) in chosen]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Carry the `slow` marker in the report: xdist sends reports, not items, to the controller.

    (A report's keywords won't do: they hold parameter ids too, and `[slow]` is one.)
    """
    report = yield
    report.user_properties.append((SLOW_PROPERTY, item.get_closest_marker("slow") is not None))
    counter = item.config.stash.get(counter_key, None)
    if counter is not None:  # this phase's calls; the recorder sums the three phases
        report.user_properties.append((DB_PROPERTY, counter.take()))
    return report


class TimingRecorder:
    """Sums the three phases of each test and writes them when the session ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.durations: dict[str, float] = defaultdict(float)
        self.outcomes: dict[str, str] = {}
        self.slow: dict[str, bool] = {}
        self.db: dict[str, dict[str, int]] = defaultdict(dict)
        self.started = time.perf_counter()
        self.collected = 0
        self.deselected = 0

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.durations[report.nodeid] += report.duration
        properties: dict[str, Any] = dict(report.user_properties)
        self.slow[report.nodeid] = bool(properties.get(SLOW_PROPERTY, False))
        calls = self.db[report.nodeid]
        phase_calls: dict[str, int] = properties.get(DB_PROPERTY, {})
        for name, count in phase_calls.items():
            calls[name] = calls.get(name, 0) + count
        # The call decides the outcome, unless a setup or teardown did not pass.
        if report.outcome != "passed" or (
            report.when == "call" and report.nodeid not in self.outcomes
        ):
            self.outcomes[report.nodeid] = report.outcome

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        tests = [
            {
                "nodeid": nodeid,
                "seconds": seconds,
                "outcome": self.outcomes.get(nodeid, "passed"),
                "slow": self.slow.get(nodeid, False),
                **({"db": self.db[nodeid]} if self.db.get(nodeid) else {}),
            }
            for nodeid, seconds in self.durations.items()
        ]
        payload: dict[str, Any] = {
            "session_s": time.perf_counter() - self.started,
            "collected": self.collected,
            "deselected": self.deselected,
            "exitstatus": int(exitstatus),
            "tests": tests,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(payload, indent=1))


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--bench-count-db"):
        counter = DatabaseCalls()
        counter.install()
        config.stash[counter_key] = counter
    target = config.getoption("--bench-timings")
    if target and not hasattr(config, "workerinput"):  # the xdist controller or a serial run
        config.pluginmanager.register(TimingRecorder(Path(target)), "bench-timing-recorder")
