"""The command line of `python -m benchmarks` (`nox -s bench --`): measure, compare, or render.

    python -m benchmarks                          # every figure, both engines (8-20 minutes)
    python -m benchmarks --only db_isolation_ms,password_hash_us --engines sqlite
    python -m benchmarks --compare benchmarks/baseline.json [--factor 1.5]
    python -m benchmarks --current build/bench/latest.json --compare benchmarks/baseline.json
    python -m benchmarks --current build/bench/latest.json --charts   # redraw, no measuring
    python -m benchmarks --readme [--current FILE]  # README's tables from the baseline (or FILE)

A measuring run writes build/bench/latest.json (pyperf's JSON: `python -m pyperf stats`, `hist`
read it), latest.md and SVG charts, and prints the tables. It exits 1 when a pytest run it timed
did not pass (its figures are flagged), and with `--compare` when a ratio worsened too much.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_fastapi_db.databases import ENGINES

from benchmarks import charts, report
from benchmarks.figures import BY_NAME, KEYS, run, selected
from tools import ROOT
from tools.argtypes import at_least_one, names

BASELINE = ROOT / "benchmarks" / "baseline.json"
README = ROOT / "README.md"


def existing_file(text: str) -> Path:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return Path(text)


def factor(text: str) -> float:
    value = float(text) if text.replace(".", "", 1).isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (1.5: 1.5x worse), not {text!r}")
    return value


N: dict[str, Any] = {"type": at_least_one, "metavar": "N"}
FILE: dict[str, Any] = {"type": existing_file, "metavar": "FILE"}
SWITCH: dict[str, Any] = {"action": "store_true"}
A_B: dict[str, Any] = {"metavar": "A,B"}
ENGINE_NAMES = {**A_B, "type": names(ENGINES, "engines", False), "default": ",".join(ENGINES)}
FIGURE_NAMES = {**A_B, "type": names((*BY_NAME, *KEYS), "figures", False)}
OPTIONS: dict[str, tuple[str, dict[str, Any]]] = {  # flag: its help and add_argument's keywords
    "--rounds": ("rounds per figure (%(default)s)", {**N, "default": 3}),
    "--suite-rounds": ("optimized rounds of the whole suite (%(default)s)", {**N, "default": 2}),
    "--naive-rounds": ("naive rounds of the suite, auth module (%(default)s)", {**N, "default": 1}),
    "--crossover-max": (
        "grow the suite up to Kx for the crossover (%(default)s; 0: skip it)",
        {"type": int, "default": 8, "metavar": "K"},
    ),
    "--engines": ("%(default)s; keys `figure@engine`, SQLite's `figure`", ENGINE_NAMES),
    "--only": ("figures: a name (every engine) or a key (per_test_ms@postgresql)", FIGURE_NAMES),
    "--suite": ("the suite (default: testpaths)", {"nargs": "+", "default": [], "metavar": "PATH"}),
    "--compare": ("a saved result: exit 1 if a ratio worsened by more than --factor", FILE),
    "--factor": ("%(default)s: a ratio 1.5x worse", {"type": factor, "default": 1.5}),
    "--current": ("no measuring: this saved result for --compare, --charts or --readme", FILE),
    "--charts": ("with --current: redraw its SVG charts", SWITCH),
    "--readme": ("rewrite README.md's result tables from --current or the baseline", SWITCH),
    "--output": (
        "results, charts and logs (%(default)s)",
        {"type": Path, "default": "build/bench", "metavar": "DIR"},
    ),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nox -s bench --",
        description="Measure the suite's speed the naive and the optimized way, side by side.",
        epilog=f"figures: {', '.join(BY_NAME)}; engines: {', '.join(ENGINES)}",
    )
    for flag, (text, keywords) in OPTIONS.items():
        p.add_argument(flag, help=text, **keywords)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    options = (p := parser()).parse_args(argv)
    if options.readme:
        suite = report.load(options.current or BASELINE)
        README.write_text(report.rewrite_readme(README.read_text(), report.readme_blocks(suite)))
        print(f"Rewrote the result tables of {README} from {options.current or BASELINE}.")
        return 0
    if options.current and not (options.compare or options.charts):
        p.error("--current needs --compare FILE (what to compare it with), --charts or --readme")
    if not options.current and not selected(options):
        p.error("--only names no figure measured on --engines " + ",".join(options.engines))
    status, current, failures = 0, options.current, list[str]()
    if current:
        suite = report.load(current)
    else:
        suite, failures = run(options, options.output)
        current = options.output / "latest.json"
        suite.dump(str(current), replace=True)
        (options.output / "latest.md").write_text(table := report.markdown(suite))
        print(f"{table}\nWrote {current} and latest.md beside it.")
    if options.charts or not options.current:
        try:
            if drawn := charts.write_charts(suite, options.output, required=options.charts):
                print(f"Charts: {', '.join(map(str, drawn))}.")
        except charts.ChartError as error:
            print(f"bench: no charts from {current}: {error}", file=sys.stderr)
            status = 2 if options.charts else 0
    if failures:
        print(f"bench: {len(failures)} pytest run(s) did not pass (FAILED RUN)", file=sys.stderr)
        status = 1
    if options.compare:
        lines, regressed = report.compare(suite, report.load(options.compare), options.factor)
        print("\n".join(lines), report.times(options.compare, current), sep="\n")
        if regressed:
            print(f"bench: ratio regression in {', '.join(regressed)}", file=sys.stderr)
            status = 1
    return status
