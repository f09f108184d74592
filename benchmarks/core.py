"""What every figure is built on: a Figure's rows, fresh pytest processes, and interleaved rounds.

The naive way is the same code with the fixture package's switches turned to the guide's
"before": `--db-isolation=recreate` (drop and create every table per test) and
`--real-password-hashing` (argon2, as production hashes). Rounds alternate which way runs
first, so a burst of load from elsewhere on the machine hits both.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WAYS = ("naive", "optimized")
# The engines the suite runs on (pytest_fastapi_db.databases.ENGINES, not imported: `--help`
# stays quick).
# SQLite's figures keep their plain keys, so results from before the engine dimension compare.
ENGINES = ("sqlite", "postgresql")
DEFAULT_ENGINE = "sqlite"
ENGINE_SEPARATOR = "@"

NAIVE_FLAGS = ("--db-isolation=recreate", "--real-password-hashing")
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider")
# The warm runner's client (pytest_fastapi_db.warm), installed beside this interpreter.
WARM_CLIENT = str(Path(sys.executable).with_name("pytest-warm"))
TIMING = ("-p", "benchmarks.timing_plugin")


def engine_key(name: str, engine: str) -> str:
    """A figure's key on an engine: `per_test_ms` on SQLite, `per_test_ms@postgresql` else."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    return name if engine == DEFAULT_ENGINE else f"{name}{ENGINE_SEPARATOR}{engine}"


def split_key(key: str) -> tuple[str, str]:
    """The figure's name and engine of a key (a key without an engine is SQLite's)."""
    name, _, engine = key.partition(ENGINE_SEPARATOR)
    return name, engine or DEFAULT_ENGINE


def rounded(value: float | None) -> float | None:
    """Four significant digits: more would claim a precision a busy machine does not give."""
    return None if value is None else float(f"{value:.4g}")


def median_or_none(values: Sequence[float]) -> float | None:
    """The median, or None for a way that was not measured (the table shows "-")."""
    return statistics.median(values) if values else None


@dataclass
class Figure:
    """One row of the table: a value per round for each way, and what it is compared with."""

    key: str
    unit: str
    how: str
    target: str
    naive: list[float] = field(default_factory=list)
    optimized: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    met: bool | None = None
    # The pytest runs behind this figure that did not pass (Bench.failures): flagged, not trusted.
    failed_runs: list[str] = field(default_factory=list)

    def values(self, way: str) -> list[float]:
        """Where a way's measurements go; a step that is no way is a mistake, not a new row."""
        if way not in WAYS:
            raise ValueError(f"{self.key}: {way!r} is not one of {WAYS}")
        return self.naive if way == "naive" else self.optimized

    def add(self, way: str, value: float | None) -> None:
        """Record one round; a run that timed nothing (None) adds no value to skew the median."""
        if value is not None:
            self.values(way).append(value)

    def median(self, way: str) -> float | None:
        return median_or_none(self.values(way))

    @property
    def ratio(self) -> float | None:
        naive, optimized = self.median("naive"), self.median("optimized")
        if naive is None or not optimized:
            return None
        return naive / optimized

    def at_most(self, limit: float) -> bool:
        """Whether the optimized median meets an upper target (not measured: it does not)."""
        optimized = self.median("optimized")
        return optimized is not None and optimized <= limit

    def summary(self) -> dict[str, Any]:
        """The figure as latest.json stores it (and benchmarks.compare reads it back)."""
        result: dict[str, Any] = {
            "naive": rounded(self.median("naive")),
            "optimized": rounded(self.median("optimized")),
            "ratio": rounded(self.ratio),
            "unit": self.unit,
            "rounds": len(self.optimized),
            "naive_rounds": len(self.naive),
            "naive_min": rounded(min(self.naive, default=None)),
            "naive_max": rounded(max(self.naive, default=None)),
            "optimized_min": rounded(min(self.optimized, default=None)),
            "optimized_max": rounded(max(self.optimized, default=None)),
            "how": self.how,
            "target": self.target,
            "met": self.met,
        }
        if self.extra:
            result["extra"] = self.extra
        if self.notes:
            result["notes"] = self.notes
        if self.failed_runs:
            result["failed_runs"] = self.failed_runs
        return result


@dataclass
class PytestRun:
    """One pytest process: its wall time and, when timed, what the timing plugin recorded."""

    wall_s: float
    returncode: int
    log: Path
    timings: dict[str, Any] | None = None

    @property
    def tests(self) -> list[dict[str, Any]]:
        return list(self.timings["tests"]) if self.timings else []

    def per_test_s(self) -> list[float]:
        return [float(test["seconds"]) for test in self.tests]

    def median_test_ms(self) -> float | None:
        median = median_or_none(self.per_test_s())
        return None if median is None else median * 1000

    @property
    def failed(self) -> int:
        return sum(1 for test in self.tests if test["outcome"] == "failed")


class Progress:
    """Progress lines on stderr, stamped with the seconds since the bench started.

    stderr, so that stdout carries only the table and a redirect keeps just the result.
    """

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[bench {self.elapsed:5.0f} s] {message}", file=sys.stderr)
        sys.stderr.flush()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def ways(round_index: int) -> tuple[str, str]:
    """Alternate which way runs first in each round."""
    return ("naive", "optimized") if round_index % 2 == 0 else ("optimized", "naive")


class Bench:
    """Shared state of one bench run: where logs go, and problems seen on the way."""

    def __init__(self, out_dir: Path, progress: Callable[[str], None]) -> None:
        self.out_dir = out_dir
        self.logs = out_dir / "logs"
        shutil.rmtree(self.logs, ignore_errors=True)  # only this run's logs beside its result
        self.logs.mkdir(parents=True, exist_ok=True)
        self.progress = progress
        self.warnings: list[str] = []
        # Every pytest run that did not pass (a failed test, or any exit but 0), naive or not:
        # a figure timed on a failing run is flagged and the bench exits 1 (benchmarks.cli).
        self.failures: list[str] = []
        self.runs = 0
        # What several figures of one engine read, measured once (benchmarks.processes.db_counts).
        self.memo: dict[str, Any] = {}

    def rounds(
        self,
        key: str,
        rounds: int,
        *,
        naive_rounds: int | None = None,
        then: Sequence[str] = (),
    ) -> Iterator[str]:
        """Each way of each round of a figure, naive and optimized interleaved, announced.

        `naive_rounds` (default `rounds`) caps the naive way, for the figures whose naive run is
        too slow to repeat; `then` names steps run after both ways in every round.
        """
        counts = {"naive": rounds if naive_rounds is None else naive_rounds}
        for index in range(max(rounds, counts["naive"])):
            for way in (*ways(index), *then):
                count = counts.get(way, rounds)
                if index < count:
                    self.progress(f"{key}: round {index + 1}/{count}, {way}")
                    yield way

    def pytest(
        self,
        label: str,
        args: Sequence[str],
        *,
        engine: str | None = None,
        naive: bool = False,
        timed: bool = True,
        python_flags: tuple[str, ...] = (),
        warm: bool = False,
        env: dict[str, str] | None = None,
    ) -> PytestRun:
        """Run pytest in a fresh process; wall time, exit code and (if timed) per-test times.

        `engine` adds `--db=<engine>` (PostgreSQL: the run starts its own server and clones
        its template per worker); None leaves the suite's default. `warm` runs it through the
        warm runner's client instead (`pytest-warm`, the wall the developer waits for).
        """
        self.runs += 1
        label = label if engine in (None, DEFAULT_ENGINE) else f"{label}-{engine}"
        log = self.logs / f"{self.runs:03d}-{label}.log"
        timings_file = self.logs / f"{self.runs:03d}-{label}.json"
        command = [sys.executable, *python_flags, *PYTEST[1:]]
        if warm:
            command = [WARM_CLIENT, *PYTEST[3:]]
        if timed:
            command += [*TIMING, "--bench-timings", str(timings_file)]
        command += [*(NAIVE_FLAGS if naive else ()), *([f"--db={engine}"] if engine else []), *args]
        started = time.perf_counter()
        with log.open("w") as output:
            output.write(" ".join(command) + "\n\n")
            output.flush()
            returncode = subprocess.run(
                command, stdout=output, stderr=subprocess.STDOUT, check=False, env=env
            ).returncode
        wall = time.perf_counter() - started
        timings = json.loads(timings_file.read_text()) if timed and timings_file.exists() else None
        run = PytestRun(wall, returncode, log, timings)
        if returncode:
            failed = f"{run.failed} test(s) failed, " if run.failed else ""
            way = "naive" if naive else "optimized"
            self.failures.append(f"{label} ({way}): {failed}pytest exited {returncode} (see {log})")
        return run

    def python(self, label: str, code: str) -> tuple[float, str]:
        """Wall time and output of `python -c code` in a fresh process."""
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - started
        if result.returncode:
            self.warnings.append(f"{label}: python exited {result.returncode}: {result.stderr}")
        return wall, result.stdout.strip()
