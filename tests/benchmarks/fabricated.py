"""Bench results as `python -m benchmarks` saves them (pyperf suites), made up for the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyperf

from benchmarks.core import EXTRA


def run(name: str, values: list[float], **metadata: Any) -> pyperf.Run:
    """A pyperf run without the machine's metadata (the tests' results do not depend on it)."""
    base = {"name": name, "cpu_count": 2, "python_version": "3.11.7 (64-bit)",
            "date": "2026-01-01 00:00:00", "load_avg_1min": 1.0}  # fmt: skip
    return pyperf.Run(values, metadata=base | metadata, collect_metadata=False)


def bench_suite(
    figures: dict[str, tuple[list[float], list[float]]],
    extras: dict[str, dict[str, Any]] | None = None,
) -> pyperf.BenchmarkSuite:
    """A result whose figure `key` has these naive and optimized values (seconds; an empty
    list: that way was not measured), one run of each per value, and these extras."""
    benchmarks = []
    for key, ways in figures.items():
        for way, values in zip(("naive", "optimized"), ways, strict=True):
            if values:
                name = f"{key}:{way}"
                benchmark = pyperf.Benchmark([run(name, [value]) for value in values])
                more = (extras or {}).get(key, {})
                benchmark.update_metadata({EXTRA + k: v for k, v in more.items()})
                benchmarks.append(benchmark)
    return pyperf.BenchmarkSuite(benchmarks)


def ratios(**ratios: float) -> pyperf.BenchmarkSuite:
    """A result whose figures have these naive / optimized ratios (the times do not matter)."""
    return bench_suite({key: ([ratio * 0.01], [0.01]) for key, ratio in ratios.items()})


def saved(path: Path, suite: pyperf.BenchmarkSuite) -> Path:
    suite.dump(str(path), replace=True)
    return path


def crossover(suite_points: dict[int, tuple[float, float]]) -> list[pyperf.Benchmark]:
    """The crossover's benchmarks: tests -> (serial, parallel) walls."""
    return [
        pyperf.Benchmark([run(f"crossover:{tests}:{mode}", [walls[index]])])
        for tests, walls in suite_points.items()
        for index, mode in enumerate(("serial", "parallel"))
    ]


def as_json(path: Path) -> Any:
    return json.loads(path.read_text())
