"""Regression check: compare the speed-up ratios of two bench results.

Ratios (naive time / optimized time, measured side by side in one run) and not absolute times:
a baseline made on another machine, or on this one while it was busy, still means something.
A figure regresses when its ratio fell by more than `factor` (1.5 means "now less than two
thirds of the baseline's speed-up"). Figures measured now but absent from the baseline (such as
PostgreSQL's, `name@postgresql`, against a baseline from before them) are listed as new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_FACTOR = 1.5


@dataclass(frozen=True)
class Comparison:
    """One figure present in both results."""

    figure: str
    baseline_ratio: float
    current_ratio: float
    factor: float

    @property
    def change(self) -> float:
        """How many times worse (> 1) or better (< 1) the ratio got."""
        return self.baseline_ratio / self.current_ratio if self.current_ratio > 0 else float("inf")

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

    @property
    def ok(self) -> bool:
        return not self.regressions


def ratio_of(figure: Any) -> float | None:
    if not isinstance(figure, dict):
        return None
    ratio = figure.get("ratio")
    if isinstance(ratio, int | float) and not isinstance(ratio, bool) and ratio > 0:
        return float(ratio)
    return None


def compare(
    current: dict[str, Any], baseline: dict[str, Any], factor: float = DEFAULT_FACTOR
) -> Report:
    """Compare the `figures` of two results (as written to build/bench/latest.json)."""
    if factor < 1:
        raise ValueError(f"factor must be at least 1, got {factor}")
    now, then = current.get("figures", {}), baseline.get("figures", {})
    comparisons, missing, unrated = [], [], []
    for name in sorted(then):
        if name not in now:
            missing.append(name)
            continue
        before, after = ratio_of(then[name]), ratio_of(now[name])
        if before is None or after is None:
            unrated.append(name)
            continue
        comparisons.append(Comparison(name, before, after, factor))
    new = sorted(name for name in now if name not in then)
    return Report(comparisons, missing, unrated, new)


def render(report: Report, baseline_name: str) -> str:
    """A markdown table of the comparison and one line per regression."""
    lines = [
        f"### Compared with {baseline_name} (factor {_factor(report)})",
        "",
        "| figure | baseline ratio | current ratio | worse by | verdict |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for each in report.comparisons:
        verdict = "REGRESSED" if each.regressed else "ok"
        lines.append(
            f"| `{each.figure}` | {each.baseline_ratio:.1f}x | {each.current_ratio:.1f}x "
            f"| {each.change:.2f}x | {verdict} |"
        )
    lines.append("")
    for name in report.missing:
        lines.append(f"- `{name}`: in the baseline but not measured in this run (not compared)")
    for name in report.new:
        lines.append(f"- `{name}`: new, not in the baseline (not compared)")
    for name in report.unrated:
        lines.append(f"- `{name}`: no ratio on one side (not compared)")
    for each in report.regressions:
        lines.append(
            f"- REGRESSION `{each.figure}`: speed-up fell from {each.baseline_ratio:.1f}x to "
            f"{each.current_ratio:.1f}x ({each.change:.2f}x worse, limit {each.factor}x)"
        )
    if report.ok:
        lines.append("No figure's ratio worsened by more than the factor.")
    return "\n".join(lines)


def _factor(report: Report) -> str:
    return f"{report.comparisons[0].factor}x" if report.comparisons else "n/a"


def load(path: Path) -> dict[str, Any]:
    """Read a saved result; a clear error when it is not one."""
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise SystemExit(f"cannot read the bench result {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise SystemExit(f"{path} is not JSON: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("figures"), dict):
        raise SystemExit(f"{path} is not a bench result (no 'figures' object)")
    return data
