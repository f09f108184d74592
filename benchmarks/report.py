"""The bench's tables, from a saved pyperf result alone: build/bench/latest.md, and the blocks of
README.md's "## Performance" that `--readme` rewrites (tests/tooling check they match the
committed baseline). Medians and percentiles are pyperf's, over every value of every round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyperf

from benchmarks.core import DEFAULT_ENGINE, ENGINES, EXTRA, WAYS, Definition, split_key
from benchmarks.figures import BY_NAME, KEYS, SCALE
from benchmarks.suite import describe_crossover, points

README_BLOCK = re.compile(r"(<!-- bench:(\w+) -->\n).*?(<!-- /bench:\2 -->)", re.DOTALL)


def load(path: Path) -> pyperf.BenchmarkSuite:
    """A saved result; a clear error when it is not one."""
    try:
        return pyperf.BenchmarkSuite.load(str(path))
    except OSError as error:
        raise SystemExit(f"cannot read the bench result {path}: {error.strerror}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"{path} is not a bench result (pyperf's JSON): {error!r}") from None


@dataclass(frozen=True)
class Row:
    """One figure on one engine: its naive and optimized benchmarks, as far as measured."""

    key: str
    definition: Definition
    engine: str
    ways: dict[str, Any]  # way -> pyperf.Benchmark

    def median(self, way: str) -> float | None:
        found = self.ways.get(way)
        return float(found.median()) * SCALE[self.definition.unit] if found else None

    @property
    def ratio(self) -> float | None:
        naive, optimized = self.median("naive"), self.median("optimized")
        return naive / optimized if naive and optimized else None

    @property
    def extras(self) -> dict[str, Any]:
        metadata = next(iter(self.ways.values())).get_metadata()
        return {k.removeprefix(EXTRA): v for k, v in metadata.items() if k.startswith(EXTRA)}

    @property
    def met(self) -> bool | None:
        limit, least = self.definition.limit(self.engine), self.definition.ratio
        if limit is None and least is None:
            return None
        optimized = self.median("optimized")
        return (limit is None or (optimized is not None and optimized <= limit)) and (
            least is None or (self.ratio or 0) >= least
        )

    def cell(self, way: str) -> str:
        median = self.median(way)
        return "-" if median is None else f"{number(median)} {self.definition.unit}"

    def verdict(self) -> str:
        if "failed_runs" in self.extras:
            return "**FAILED RUN**"
        return {True: "met", False: "missed", None: ""}[self.met]


def rows(suite: pyperf.BenchmarkSuite) -> list[Row]:
    names = {benchmark.get_name(): benchmark for benchmark in suite}
    found = []
    for key in KEYS:
        name, engine = split_key(key)
        ways = {way: names[f"{key}:{way}"] for way in WAYS if f"{key}:{way}" in names}
        if ways:
            found.append(Row(key, BY_NAME[name], engine, ways))
    return found


def number(value: float | None) -> str:
    if value is None:
        return "-"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2 if abs(value) >= 1 else None
    return f"{value:,.{digits}f}" if digits is not None else f"{value:.3g}"


def machine(suite: pyperf.BenchmarkSuite) -> str:
    """What the numbers were measured on (pyperf's metadata) and how busy the machine was."""
    common = suite.get_metadata()
    loads = [run.get_metadata().get("load_avg_1min", 0) for b in suite for run in b.get_runs()]
    dates = suite.get_dates()
    span = f", {(dates[1] - dates[0]).total_seconds() / 60:.0f} min" if dates else ""
    return (
        f"{dates[0]:%Y-%m-%d}{span}; {common.get('cpu_count', '?')} CPUs, Python "
        f"{str(common.get('python_version', '?')).split()[0]}, load average "
        f"{min(loads, default=0):.1f}-{max(loads, default=0):.1f} during the runs"
    )


def table(found: list[Row], *, engine_column: bool) -> list[str]:
    second = "engine" if engine_column else "guide"
    lines = [
        f"| figure | {second} | naive | optimized | ratio | target |",
        "|---|---|--:|--:|--:|---|",
    ]
    for row in found:
        ratio = f"{number(row.ratio)}x" if row.ratio else "-"
        verdict = f"{row.definition.target(row.engine)}: {row.verdict()}".removesuffix(": ")
        second = row.engine if engine_column else row.definition.guide
        lines.append(
            f"| {row.definition.label} (`{row.definition.name}`) | {second} | "
            f"{row.cell('naive')} | {row.cell('optimized')} | {ratio} | {verdict} |"
        )
    return lines


def details(found: list[Row]) -> list[str]:
    """How each figure is measured, pyperf's spread, and what the bench noted beside it."""
    lines = []
    for row in found:
        scale, unit = SCALE[row.definition.unit], row.definition.unit
        runs = ", ".join(
            f"{way} {b.get_nrun()} round(s), p90 {number(b.percentile(90) * scale)} {unit}"
            for way, b in row.ways.items()
        )
        extras = [f"{k} {describe(v)}" for k, v in row.extras.items() if k != "over_100_ms"]
        lines.append(f"- `{row.key}`: {row.definition.how.rstrip('.')}; {runs}")
        lines[-1] += f"; {', '.join(extras)}." if extras else "."
    return lines


def describe(value: Any) -> str:
    return number(value) if isinstance(value, float) else str(value)


def crossover(suite: pyperf.BenchmarkSuite) -> list[str]:
    """The crossover's sizes and where `-n 2` starts to pay, on the engine it was measured on."""
    for engine in ENGINES:
        if found := points(suite, engine):
            lines = [f"Parallel crossover ({engine}): {describe_crossover(found)['summary']}.", ""]
            lines += ["| tests | serial | -n 2 |", "| ---: | ---: | ---: |"]
            return lines + [
                f"| {n} | {p['serial']:.1f} s | {p['parallel']:.1f} s |" for n, p in found.items()
            ]
    return []


def markdown(suite: pyperf.BenchmarkSuite) -> str:
    """build/bench/latest.md."""
    found = rows(suite)
    lines = ["## Bench results", "", machine(suite) + ".", "", *table(found, engine_column=True)]
    lines += ["", "### How each figure is measured, and details", "", *details(found)]
    for row in found:
        if slow := row.extras.get("over_100_ms"):
            lines += ["", f"### Tests over 100 ms ({row.engine}, optimized, median)", ""]
            lines += [f"- {test}" for test in str(slow).split("; ")]
    if crossed := crossover(suite):
        lines += ["", "### Parallel crossover", "", *crossed]
    failed = [f"- `{r.key}`: {r.extras['failed_runs']}" for r in found if "failed_runs" in r.extras]
    if failed:
        lines += ["", "### Failed pytest runs (their figures are not to be trusted)", "", *failed]
    return "\n".join(lines) + "\n"


def readme_blocks(suite: pyperf.BenchmarkSuite) -> dict[str, str]:
    """The README's generated blocks: SQLite's table (every figure measured there), then each
    figure measured on another engine, side by side with SQLite's, and the crossover."""
    found = rows(suite)
    main = [row for row in found if row.engine == DEFAULT_ENGINE]
    names = {row.definition.name for row in found if row.engine != DEFAULT_ENGINE}
    both = [row for row in found if row.definition.name in names]
    others = [row for row in both if row.engine != DEFAULT_ENGINE]
    return {
        "main": "\n".join(
            [machine(suite) + ".", "", *table(main, engine_column=False), "", *details(main)]
        ),
        "engines": "\n".join(
            [*table(both, engine_column=True), "", *details(others), "", *crossover(suite)]
        ),
    }


def rewrite_readme(text: str, blocks: dict[str, str]) -> str:
    """README.md with each `<!-- bench:NAME -->` block replaced by the rendered one."""
    return README_BLOCK.sub(lambda m: f"{m[1]}{blocks[m[2]]}\n{m[3]}", text)
