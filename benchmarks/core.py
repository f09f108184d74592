"""What every figure is built on: engines and keys, fresh pytest processes, interleaved rounds.

The naive way is the same code with the fixture package's switches turned to the guide's
"before" (NAIVE_FLAGS). Rounds alternate which way runs first, so a burst of load from elsewhere
hits both; each is one `pyperf.Run` (seconds, pyperf's metadata) of the benchmark `<key>:<way>`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyperf
from pytest_fastapi_db.databases import ENGINES

WAYS = ("naive", "optimized")
SQLITE = ENGINES[:1]  # the figures that do not depend on the engine
NAIVE_FLAGS = ("--db-isolation=recreate", "--real-password-hashing")
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider")
PLUGIN = ("-p", "benchmarks.plugin")  # --bench-limit, --bench-count-db
WARM_CLIENT = str(Path(sys.executable).with_name("pytest-warm"))  # pytest_fastapi_db.warm's
SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6}  # a unit in seconds: pyperf keeps seconds
EXTRA = "bench."  # the prefix of the metadata the bench adds to pyperf's


def engine_key(name: str, engine: str) -> str:
    """SQLite's keys are the figures' names, the other engines' `name@engine`."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    return name if engine == ENGINES[0] else f"{name}@{engine}"


def split_key(key: str) -> tuple[str, str]:
    name, _, engine = key.partition("@")
    return name, engine or ENGINES[0]


@dataclass
class PytestRun:
    """One pytest process: its wall, each test's setup + call + teardown and database calls."""

    wall_s: float
    log: Path
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    db: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    @property
    def values(self) -> list[float]:
        return list(self.seconds.values())


class Bench:
    """One bench run: its options, logs, pyperf runs, failures, and the figure being measured."""

    def __init__(self, out_dir: Path, plan: argparse.Namespace) -> None:
        self.plan, self.logs = plan, out_dir / "logs"
        shutil.rmtree(self.logs, ignore_errors=True)  # only this run's logs beside its result
        self.logs.mkdir(parents=True)
        self.started = time.perf_counter()
        self.runs: dict[str, list[pyperf.Run]] = defaultdict(list)
        self.metadata: dict[str, dict[str, Any]] = defaultdict(dict)
        self.failures: list[str] = []
        self.engine, self.name = ENGINES[0], ""

    def progress(self, message: str) -> None:
        """On stderr, so that stdout carries only the table."""
        print(f"[bench {time.perf_counter() - self.started:5.0f} s] {message}", file=sys.stderr)

    def key(self, name: str | None = None) -> str:
        return engine_key(name or self.name, self.engine)

    def record(self, way: str, values: Iterable[float], name: str | None = None) -> None:
        """One round: a pyperf run (nothing measured: no run, rather than a skewed median)."""
        if kept := [value for value in values if value > 0]:
            run_name = f"{self.key(name)}:{way}"
            self.runs[run_name].append(pyperf.Run(kept, metadata={"name": run_name}))

    def extra(self, name: str | None = None, /, **metadata: Any) -> None:
        self.metadata[self.key(name)].update(metadata)

    def rounds(
        self, naive: int | None = None, count: int | None = None, label: str | None = None
    ) -> Iterator[str]:
        """Each way of each round, interleaved; `naive` caps the naive rounds, where too slow."""
        counts = {"optimized": count or self.plan.rounds}
        counts["naive"] = counts["optimized"] if naive is None else naive
        for index in range(max(counts.values())):
            for way in WAYS if index % 2 == 0 else WAYS[::-1]:
                if index < counts[way]:
                    self.progress(f"{label or self.key()}: round {index + 1}/{counts[way]}, {way}")
                    yield way

    def pytest(
        self,
        label: str,
        args: Sequence[str],
        *,
        naive: bool = False,
        timed: bool = True,
        warm: bool = False,
        env: dict[str, str] | None = None,
    ) -> PytestRun:
        """pytest in a fresh process (or through `pytest-warm`); `timed`: with pytest-reportlog."""
        label += "" if self.engine == ENGINES[0] else f"-{self.engine}"
        stem = self.logs / f"{len(list(self.logs.glob('*.log'))) + 1:03d}-{label}"
        command = [WARM_CLIENT, *PYTEST[3:]] if warm else list(PYTEST)
        command += ["--report-log", str(stem.with_suffix(".jsonl"))] if timed else []
        command += [*(NAIVE_FLAGS if naive else ()), f"--db={self.engine}", *args]
        run = PytestRun(time.perf_counter(), stem.with_suffix(".log"))
        with run.log.open("w") as output:
            print(*command, end="\n\n", file=output, flush=True)
            code = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        run.wall_s = time.perf_counter() - run.wall_s
        if timed and stem.with_suffix(".jsonl").exists():
            for report in map(json.loads, stem.with_suffix(".jsonl").read_text().splitlines()):
                if report.get("$report_type") == "TestReport":
                    run.seconds[report["nodeid"]] += report["duration"]
                    for kind, calls in report["user_properties"]:
                        run.db[report["nodeid"]].update(calls if kind == "db" else {})
        if code.returncode:
            self.failures.append(f"{label}: pytest exited {code.returncode} (see {run.log})")
        return run

    def suite(self, unwanted: set[str]) -> pyperf.BenchmarkSuite:
        """Every benchmark recorded but those of figures not asked for, with its figure's extras."""
        benchmarks = []
        for name, runs in self.runs.items():
            if (key := name.rpartition(":")[0]) not in unwanted:
                benchmarks.append(benchmark := pyperf.Benchmark(runs))
                extras = self.metadata[key].items()  # unknown, empty or NaN: left out
                benchmark.update_metadata(
                    {EXTRA + k: significant(v) for k, v in extras if v not in (None, "") and v == v}
                )
        return pyperf.BenchmarkSuite(benchmarks)


def significant(value: Any) -> Any:
    """Four significant digits: more would claim a precision a busy machine does not give."""
    return float(f"{value:.4g}") if isinstance(value, float) else value


# A figure's measure; an async one runs in an event loop of its own.
Measure = Callable[[Bench], Coroutine[Any, Any, None] | None]


@dataclass(frozen=True)
class Definition:
    """A figure, once: its name and unit, label, measure (its docstring says how) and target:
    an optimized median at most `at_most` (by engine where a dict), a ratio at least `ratio`."""

    name: str  # its unit last: `_s`, `_ms`, `_us`
    label: str
    measure: Measure
    at_most: float | dict[str, float] | None = None
    ratio: float | None = None
    engines: tuple[str, ...] = ENGINES
    guide: str = ""  # the guide's before -> after, where it gives them

    @property
    def unit(self) -> str:
        return self.name.rpartition("_")[2]

    @property
    def how(self) -> str:
        return " ".join((self.measure.__doc__ or "").split("\n\n")[0].split())

    def target(self, engine: str, median: float | None = None, ratio: float | None = None) -> str:
        """The target on `engine`, and whether this optimized median (seconds) and ratio meet it."""
        limit = self.at_most.get(engine) if isinstance(self.at_most, dict) else self.at_most
        fast = limit is None or (median is not None and median <= limit * SCALE[self.unit])
        met = fast and (self.ratio is None or (ratio or 0) >= self.ratio)
        parts = [f"<= {limit:g} {self.unit}"] if limit is not None else []
        parts += [f">= {self.ratio:g}x"] if self.ratio else []
        return f"{', '.join(parts)}: {'met' if met else 'missed'}" if parts else "shown"


DEFINITIONS: list[Definition] = []  # filled by `figure`, in the order the modules are imported


def figure(name: str, label: str, **target: Any) -> Callable[[Measure], Measure]:
    """Define a figure measured by the decorated function (stacked: one that makes several)."""

    def register(measure: Measure) -> Measure:
        DEFINITIONS.append(Definition(name, label, measure, **target))
        return measure

    return register
