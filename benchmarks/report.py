"""The bench's tables, from a saved pyperf result alone: build/bench/latest.md, the blocks of
README.md's "## Performance" that `--readme` rewrites (tests/benchmarks check they match the
committed baseline), and `--compare`. Medians, percentiles and formats are pyperf's.

`--compare`: ratios (naive / optimized, measured side by side in one run) decide, not times, so
a baseline from another machine, or from this one while it was busy, still means something.
pyperf's `compare_to` (its CLI: the comparison is not in its public API) then shows each time
beside the baseline's, with its significance test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyperf
from pytest_fastapi_db.databases import ENGINES

from benchmarks.core import EXTRA, WAYS, Definition, split_key
from benchmarks.figures import BY_NAME, KEYS
from benchmarks.suite import describe_crossover, points

README_BLOCK = re.compile(r"(<!-- bench:(\w+) -->\n).*?(<!-- /bench:\2 -->)", re.DOTALL)


def load(path: Path) -> pyperf.BenchmarkSuite:
    try:
        return pyperf.BenchmarkSuite.load(str(path))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"{path} is not a bench result (pyperf's JSON): {error!r}") from None


@dataclass(frozen=True)
class Row:  # one figure on one engine, its benchmark per way measured
    key: str
    definition: Definition
    engine: str
    ways: dict[str, pyperf.Benchmark]

    def median(self, way: str) -> float | None:
        return float(self.ways[way].median()) if way in self.ways else None

    def cell(self, way: str) -> str:
        return self.ways[way].format_value(self.ways[way].median()) if way in self.ways else "-"

    @property
    def ratio(self) -> float | None:
        naive, optimized = self.median("naive"), self.median("optimized")
        return naive / optimized if naive and optimized else None

    @property
    def extras(self) -> dict[str, Any]:
        metadata = next(iter(self.ways.values())).get_metadata()
        return {k.removeprefix(EXTRA): v for k, v in metadata.items() if k.startswith(EXTRA)}

    def target(self) -> str:
        if "failed_runs" in self.extras:
            return f"{self.definition.target(self.engine).split(':')[0]}: **FAILED RUN**"
        return self.definition.target(self.engine, self.median("optimized"), self.ratio)


def rows(suite: pyperf.BenchmarkSuite) -> list[Row]:
    names = {benchmark.get_name(): benchmark for benchmark in suite}
    found = []
    for key in KEYS:
        if ways := {way: names[f"{key}:{way}"] for way in WAYS if f"{key}:{way}" in names}:
            found.append(Row(key, BY_NAME[split_key(key)[0]], split_key(key)[1], ways))
    return found


def number(value: Any) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:#.3g}"


def machine(suite: pyperf.BenchmarkSuite) -> str:
    """What the numbers were measured on (pyperf's metadata) and how busy the machine was."""
    common, dates = suite.get_metadata(), suite.get_dates()
    loads = [run.get_metadata().get("load_avg_1min", 0) for b in suite for run in b.get_runs()]
    span = f", {(dates[1] - dates[0]).total_seconds() / 60:.0f} min" if dates else ""
    return (
        f"{dates[0]:%Y-%m-%d}{span}; {common.get('cpu_count', '?')} CPUs, Python "
        f"{str(common.get('python_version', '?')).split()[0]}, load average "
        f"{min(loads, default=0):.1f}-{max(loads, default=0):.1f} during the runs"
    )


def table(found: list[Row], *, engine_column: bool) -> list[str]:
    lines = [f"| figure | {'engine' if engine_column else 'guide'} | naive | optimized | ratio |"]
    lines[0] += " target |\n|---|---|--:|--:|--:|---|"
    for row in found:
        d, ratio = row.definition, f"{number(row.ratio)}x" if row.ratio else "-"
        lines.append(
            f"| {d.label} (`{d.name}`) | {row.engine if engine_column else d.guide} | "
            f"{row.cell('naive')} | {row.cell('optimized')} | {ratio} | {row.target()} |"
        )
    return lines


def details(found: list[Row]) -> list[str]:
    lines = []
    for row in found:
        parts = [
            f"{way} {b.get_nrun()} round(s), p90 {b.format_value(b.percentile(90))}"
            for way, b in row.ways.items()
        ]
        parts += [
            f"{k} {number(v) if isinstance(v, float) else v}"
            for k, v in row.extras.items()
            if k != "failed_runs"
        ]
        lines.append(f"- `{row.key}`: {row.definition.how.rstrip('.')}; {', '.join(parts)}.")
    return lines


def crossover(suite: pyperf.BenchmarkSuite) -> list[str]:
    engine, found = points(suite)
    lines = [f"Parallel crossover ({engine}): {describe_crossover(found).get('summary')}.", ""]
    lines += ["| tests | serial | -n 2 |", "| ---: | ---: | ---: |"]
    lines += [f"| {n} | {p['serial']:.1f} s | {p['parallel']:.1f} s |" for n, p in found.items()]
    return lines if found else []


def markdown(suite: pyperf.BenchmarkSuite) -> str:
    """build/bench/latest.md: the README's blocks, then the pytest runs that did not pass."""
    blocks = readme_blocks(suite)
    lines = ["## Bench results", "", blocks["main"], "", "### Both engines", "", blocks["engines"]]
    for row in rows(suite):
        if failed := row.extras.get("failed_runs"):
            lines += ["", f"FAILED RUN (`{row.key}` is not to be trusted): {failed}"]
    return "\n".join(lines) + "\n"


def readme_blocks(suite: pyperf.BenchmarkSuite) -> dict[str, str]:
    """SQLite's table, then every figure measured on another engine beside SQLite's."""
    found = rows(suite)
    main = [row for row in found if row.engine == ENGINES[0]]
    others = [row for row in found if row.engine != ENGINES[0]]
    both = [row for row in found if row.definition.name in {o.definition.name for o in others}]
    return {
        "main": "\n".join(
            [f"{machine(suite)}.", "", *table(main, engine_column=False), "", *details(main)]
        ),
        "engines": "\n".join(
            [*table(both, engine_column=True), "", *details(others), "", *crossover(suite)]
        ),
    }


def rewrite_readme(text: str, blocks: dict[str, str]) -> str:
    return README_BLOCK.sub(lambda m: f"{m[1]}{blocks[m[2]]}\n{m[3]}", text)


def compare(
    current: pyperf.BenchmarkSuite, baseline: pyperf.BenchmarkSuite, factor: float
) -> tuple[list[str], list[str]]:
    """The markdown lines of the comparison, and the keys whose ratio regressed."""
    now = {row.key: row.ratio for row in rows(current)}
    then = {row.key: row.ratio for row in rows(baseline)}
    lines = [f"### Ratios compared with the baseline (factor {factor}x)", ""]
    lines += ["| figure | baseline | current | worse by | verdict |", "|---|--:|--:|--:|---|"]
    notes = [f"- `{key}`: not measured now" for key in then if key not in now]
    notes += [f"- `{key}`: new, not in the baseline" for key in now if key not in then]
    regressed = []
    for key, before, after in ((key, then[key], now[key]) for key in then if key in now):
        if not (before and after):  # a figure without a naive way has none on either side
            notes += [f"- `{key}`: no ratio on one side"] if before or after else []
            continue
        regressed += [key] if (change := before / after) > factor else []
        cells = f"{number(before)}x | {number(after)}x | {change:.2f}x"
        lines.append(f"| `{key}` | {cells} | {'REGRESSED' if change > factor else 'ok'} |")
    end = f"REGRESSION in {', '.join(regressed)}" if regressed else "No ratio worsened too much."
    return [*lines, "", *notes, end], regressed


def times(baseline: Path, current: Path) -> str:
    """pyperf's comparison of every time, "Not significant" where its t-test says so."""
    command = ["compare_to", "--table", "--table-format", "md", str(baseline), str(current)]
    done = subprocess.run(
        [sys.executable, "-m", "pyperf", *command], capture_output=True, text=True
    )
    return f"### Times compared by pyperf (compare_to)\n\n{done.stdout}{done.stderr}"
