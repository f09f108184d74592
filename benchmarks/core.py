"""What every figure is built on: engines and keys, fresh pytest processes, interleaved rounds.

The naive way is the same code with the fixture package's switches turned to the guide's
"before": `--db-isolation=recreate` (drop and create every table per test) and
`--real-password-hashing` (argon2, as production hashes). Rounds alternate which way runs
first, so a burst of load from elsewhere on the machine hits both. Each round is one
`pyperf.Run` (values in seconds, pyperf's metadata of the machine at that moment) of the
benchmark `<key>:<way>`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyperf

WAYS = ("naive", "optimized")
# The engines the suite runs on (pytest_fastapi_db.databases.ENGINES, not imported: `--help`
# stays quick). SQLite's keys are the figures' names, the others' `name@engine`.
ENGINES = ("sqlite", "postgresql")
DEFAULT_ENGINE = "sqlite"
SQLITE = (DEFAULT_ENGINE,)  # the figures that do not depend on the engine
NAIVE_FLAGS = ("--db-isolation=recreate", "--real-password-hashing")
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider")
PLUGIN = ("-p", "benchmarks.plugin")  # --bench-limit, --bench-count-db
# The warm runner's client (pytest_fastapi_db.warm), installed beside this interpreter.
WARM_CLIENT = str(Path(sys.executable).with_name("pytest-warm"))
EXTRA = "bench."  # the prefix of the metadata the bench adds to pyperf's
DESELECTED = re.compile(r"(\d+) deselected")


def engine_key(name: str, engine: str) -> str:
    """A figure's key on an engine: `per_test_ms` on SQLite, `per_test_ms@postgresql` else."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    return name if engine == DEFAULT_ENGINE else f"{name}@{engine}"


def split_key(key: str) -> tuple[str, str]:
    """The figure's name and engine of a key (a key without an engine is SQLite's)."""
    name, _, engine = key.partition("@")
    return name, engine or DEFAULT_ENGINE


@dataclass(frozen=True)
class Plan:
    """What one bench run was asked for (every option but where results go)."""

    rounds: int
    suite_rounds: int
    naive_rounds: int
    with_slow: bool
    crossover_max: int
    only: Sequence[str] | None  # figure names or keys
    suite: Sequence[str]  # what "the whole suite" is; empty: pytest's testpaths
    engines: Sequence[str]


@dataclass
class PytestRun:
    """One pytest process: its wall, and each test's setup + call + teardown seconds and database
    calls, from pytest-reportlog's JSON lines (which xdist's controller writes whole)."""

    wall_s: float
    log: Path
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    db: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    failed: int = 0

    def read(self, report_log: Path) -> None:
        for report in map(json.loads, report_log.read_text().splitlines()):
            if report.get("$report_type") == "TestReport":
                self.seconds[report["nodeid"]] += report["duration"]
                self.failed += report["outcome"] == "failed"
                for name, calls in report["user_properties"]:
                    self.db[report["nodeid"]].update(calls if name == "db" else {})

    @property
    def values(self) -> list[float]:
        return list(self.seconds.values())

    @property
    def deselected(self) -> int:
        return int(([0, *DESELECTED.findall(self.log.read_text())])[-1])


class Bench:
    """One bench run: its logs, its progress lines, the pyperf runs recorded, what failed."""

    def __init__(self, out_dir: Path, plan: Plan) -> None:
        self.plan = plan
        self.logs = out_dir / "logs"
        shutil.rmtree(self.logs, ignore_errors=True)  # only this run's logs beside its result
        self.logs.mkdir(parents=True, exist_ok=True)
        self.started = time.perf_counter()
        self.runs: dict[str, list[pyperf.Run]] = defaultdict(list)
        self.metadata: dict[str, dict[str, Any]] = defaultdict(dict)
        # Every pytest run that did not pass, naive or not; the figures it fed are flagged.
        self.failures: list[str] = []
        self.memo: dict[str, Any] = {}  # what several figures of one engine read, measured once

    def progress(self, message: str) -> None:
        """On stderr, so that stdout carries only the table."""
        elapsed = time.perf_counter() - self.started
        print(f"[bench {elapsed:5.0f} s] {message}", file=sys.stderr, flush=True)

    def record(self, key: str, way: str, values: Iterable[float], **metadata: Any) -> None:
        """One round of a figure: a pyperf run (nothing measured: no run, no skewed median)."""
        kept = [value for value in values if value > 0]
        if kept:
            name = f"{key}:{way}"
            self.runs[name].append(pyperf.Run(kept, metadata={"name": name, **metadata}))

    def rounds(self, key: str, count: int, naive: int | None = None) -> Iterator[str]:
        """Each way of each round, naive and optimized interleaved and announced; `naive` caps
        the naive rounds, for the figures whose naive run is too slow to repeat."""
        counts = {"naive": count if naive is None else naive, "optimized": count}
        for index in range(max(counts.values())):
            for way in WAYS if index % 2 == 0 else WAYS[::-1]:
                if index < counts[way]:
                    self.progress(f"{key}: round {index + 1}/{counts[way]}, {way}")
                    yield way

    def pytest(
        self,
        label: str,
        args: Sequence[str],
        *,
        engine: str | None = None,
        naive: bool = False,
        timed: bool = True,
        warm: bool = False,
        env: dict[str, str] | None = None,
    ) -> PytestRun:
        """Run pytest in a fresh process (through the warm runner's client when `warm`): wall
        time, exit code and, if `timed`, each test's time. `engine` adds `--db=<engine>`."""
        label = label if engine in (None, DEFAULT_ENGINE) else f"{label}-{engine}"
        stem = self.logs / f"{len(list(self.logs.glob('*.log'))) + 1:03d}-{label}"
        command = [WARM_CLIENT, *PYTEST[3:]] if warm else list(PYTEST)
        command += ["--report-log", str(stem.with_suffix(".jsonl"))] if timed else []
        command += [*(NAIVE_FLAGS if naive else ()), *([f"--db={engine}"] if engine else []), *args]
        log = stem.with_suffix(".log")
        started = time.perf_counter()
        with log.open("w") as output:
            print(*command, end="\n\n", file=output, flush=True)
            code = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        run = PytestRun(time.perf_counter() - started, log)
        if timed and (report_log := stem.with_suffix(".jsonl")).exists():
            run.read(report_log)
        if code.returncode:
            failed = f"{run.failed} test(s) failed, " if run.failed else ""
            self.failures.append(
                f"{label} ({'naive' if naive else 'optimized'}): {failed}"
                f"pytest exited {code.returncode} (see {log})"
            )
        return run

    def python(self, key: str, code: str) -> tuple[float, str]:
        """Wall time and output of `python -c code` in a fresh process."""
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode:
            self.metadata[key]["warning"] = f"python exited {done.returncode}"
        return wall, done.stdout.strip()

    def suite(self, unwanted: set[str]) -> pyperf.BenchmarkSuite:
        """Every benchmark recorded, but those of figures not asked for; each figure's extras
        are the metadata of each of its benchmarks."""
        benchmarks = []
        for name, runs in self.runs.items():
            key = name.rpartition(":")[0]
            if key not in unwanted:
                benchmark = pyperf.Benchmark(runs)
                extras = self.metadata[key].items()
                benchmark.update_metadata({EXTRA + k: round_value(v) for k, v in extras if kept(v)})
                benchmarks.append(benchmark)
        return pyperf.BenchmarkSuite(benchmarks)


@dataclass(frozen=True)
class Context:
    """What a figure's measure gets: the bench, the engine, and the figure (a group's first)."""

    bench: Bench
    engine: str
    name: str

    @property
    def plan(self) -> Plan:
        return self.bench.plan

    def key(self, name: str | None = None) -> str:
        return engine_key(name or self.name, self.engine)

    def rounds(self, naive: int | None = None, name: str | None = None) -> Iterator[str]:
        return self.bench.rounds(self.key(name), self.plan.rounds, naive)

    def record(self, way: str, values: Iterable[float], name: str | None = None) -> None:
        self.bench.record(self.key(name), way, values)

    def extra(self, name: str | None = None, /, **metadata: Any) -> None:
        """Metadata that explains the figure (its benchmarks carry it in the result)."""
        self.bench.metadata[self.key(name)].update(metadata)


def kept(value: Any) -> bool:
    """Whether a value goes into pyperf's metadata: not unknown, empty or NaN."""
    return value is not None and value != "" and value == value


def round_value(value: Any) -> Any:
    """Four significant digits: more would claim a precision a busy machine does not give."""
    return float(f"{value:.4g}") if isinstance(value, float) else value


@dataclass(frozen=True)
class Definition:
    """A figure, once: its name, unit, label in the tables, measure (whose docstring says how)
    and target: the optimized median at most `at_most` (by engine where a dict), and naive /
    optimized at least `ratio`."""

    name: str
    unit: str
    label: str
    measure: Callable[[Context], None]
    at_most: float | dict[str, float] | None = None
    ratio: float | None = None
    engines: tuple[str, ...] = ENGINES
    guide: str = ""  # the guide's before -> after, where it gives them

    @property
    def how(self) -> str:
        return " ".join((self.measure.__doc__ or "").split("\n\n")[0].split())

    def limit(self, engine: str) -> float | None:
        return self.at_most.get(engine) if isinstance(self.at_most, dict) else self.at_most

    def target(self, engine: str) -> str:
        limit = self.limit(engine)
        parts = [f"<= {limit:g} {self.unit}"] if limit is not None else []
        return ", ".join(parts + ([f">= {self.ratio:g}x"] if self.ratio else [])) or "shown"


# Every figure in the tables' order (and the run's), filled by the measures' `figure` decorator.
DEFINITIONS: list[Definition] = []
Measure = Callable[[Context], None]


def figure(name: str, unit: str, label: str, **target: Any) -> Callable[[Measure], Measure]:
    """Define a figure measured by the decorated function (stacked: a function that makes
    several, registered bottom up)."""

    def register(measure: Measure) -> Measure:
        DEFINITIONS.append(Definition(name, unit, label, measure, **target))
        return measure

    return register
