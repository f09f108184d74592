"""`--compare`: the speed-up ratios of two results, then pyperf's comparison of their times.

Ratios (naive / optimized, measured side by side in one run) decide, not times: a baseline made
on another machine, or on this one while it was busy, still means something. A figure regresses
when its ratio fell by more than `factor` (1.5: now less than two thirds of the baseline's
speed-up). pyperf's `compare_to` (its CLI: the comparison is not in its public API) then shows
each time beside the baseline's, with its significance test, for a baseline from this machine.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pyperf

from benchmarks.report import rows

DEFAULT_FACTOR = 1.5


@dataclass(frozen=True)
class Comparison:
    figure: str
    baseline_ratio: float
    current_ratio: float
    factor: float

    @property
    def change(self) -> float:
        """How many times worse (> 1) or better (< 1) the ratio got."""
        return self.baseline_ratio / self.current_ratio

    @property
    def regressed(self) -> bool:
        return self.change > self.factor


@dataclass(frozen=True)
class Report:
    comparisons: list[Comparison]
    missing: list[str]  # in the baseline, not measured now
    unrated: list[str]  # measured in both, but one side has no ratio
    new: list[str] = field(default_factory=list)  # measured now, not in the baseline

    @property
    def regressions(self) -> list[Comparison]:
        return [each for each in self.comparisons if each.regressed]


def compare(
    current: pyperf.BenchmarkSuite, baseline: pyperf.BenchmarkSuite, factor: float = DEFAULT_FACTOR
) -> Report:
    if factor < 1:
        raise ValueError(f"factor must be at least 1, got {factor}")
    now = {row.key: row.ratio for row in rows(current)}
    then = {row.key: row.ratio for row in rows(baseline)}
    comparisons, missing, unrated = [], [], []
    for key, before in then.items():
        after = now.get(key)
        if key not in now:
            missing.append(key)
        elif before is None or after is None:
            unrated.append(key)
        else:
            comparisons.append(Comparison(key, before, after, factor))
    return Report(comparisons, missing, unrated, [key for key in now if key not in then])


def render(report: Report, baseline_name: str, factor: float) -> str:
    """A markdown table of the ratios and one line per regression."""
    lines = [
        f"### Ratios compared with {baseline_name} (factor {factor}x)",
        "",
        "| figure | baseline ratio | current ratio | worse by | verdict |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for each in report.comparisons:
        lines.append(
            f"| `{each.figure}` | {each.baseline_ratio:.1f}x | {each.current_ratio:.1f}x "
            f"| {each.change:.2f}x | {'REGRESSED' if each.regressed else 'ok'} |"
        )
    lines.append("")
    lines += [
        f"- `{key}`: in the baseline but not measured now (not compared)" for key in report.missing
    ]
    lines += [f"- `{key}`: new, not in the baseline (not compared)" for key in report.new]
    lines += [f"- `{key}`: no ratio on one side (not compared)" for key in report.unrated]
    lines += [
        f"- REGRESSION `{each.figure}`: speed-up fell from {each.baseline_ratio:.1f}x to "
        f"{each.current_ratio:.1f}x ({each.change:.2f}x worse, limit {each.factor}x)"
        for each in report.regressions
    ]
    if not report.regressions:
        lines.append("No figure's ratio worsened by more than the factor.")
    return "\n".join(lines)


def times(baseline: Path, current: Path) -> str:
    """pyperf's own comparison of every benchmark's time (`python -m pyperf compare_to`):
    "Not significant" where its t-test says so."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyperf",
            "compare_to",
            "--table",
            "--table-format",
            "md",
            str(baseline),
            str(current),
        ],
        capture_output=True,
        text=True,
    )
    return f"### Times compared by pyperf (compare_to)\n\n{done.stdout}{done.stderr}"
