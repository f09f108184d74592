"""`--compare`: the speed-up ratios of two results, then pyperf's comparison of their times.

Ratios (naive / optimized, measured side by side in one run) decide, not times: a baseline made
on another machine, or on this one while it was busy, still means something. A figure regresses
when its ratio fell by more than `factor`. pyperf's `compare_to` (its CLI: the comparison is not
in its public API) then shows each time beside the baseline's, with its significance test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyperf

from benchmarks.report import rows

DEFAULT_FACTOR = 1.5  # a ratio now under two thirds of the baseline's is a regression


def compare(
    current: pyperf.BenchmarkSuite, baseline: pyperf.BenchmarkSuite, factor: float = DEFAULT_FACTOR
) -> tuple[list[str], list[str]]:
    """The markdown lines of the comparison, and the keys whose ratio regressed."""
    now = {row.key: row.ratio for row in rows(current)}
    then = {row.key: row.ratio for row in rows(baseline)}
    lines = [f"### Ratios compared with the baseline (factor {factor}x)", ""]
    lines += ["| figure | baseline | current | worse by | verdict |", "|---|--:|--:|--:|---|"]
    notes, regressed = [], []
    for key, before in then.items():
        after = now.get(key)
        if key not in now:
            notes.append(f"- `{key}`: in the baseline but not measured now (not compared)")
        elif before is None or after is None:
            notes.append(f"- `{key}`: no ratio on one side (not compared)")
        else:
            regressed += [key] if before / after > factor else []
            verdict = "REGRESSED" if key in regressed else "ok"
            lines.append(
                f"| `{key}` | {before:.1f}x | {after:.1f}x | {before / after:.2f}x | {verdict} |"
            )
    notes += [
        f"- `{key}`: new, not in the baseline (not compared)" for key in now if key not in then
    ]
    summary = (
        f"REGRESSION in {', '.join(regressed)}"
        if regressed
        else "No ratio worsened by more than the factor."
    )
    return [*lines, "", *notes, summary], regressed


def times(baseline: Path, current: Path) -> str:
    """pyperf's own comparison of every benchmark's time, "Not significant" where its t-test
    says so."""
    command = ["compare_to", "--table", "--table-format", "md", str(baseline), str(current)]
    done = subprocess.run(
        [sys.executable, "-m", "pyperf", *command], capture_output=True, text=True
    )
    return f"### Times compared by pyperf (compare_to)\n\n{done.stdout}{done.stderr}"
