"""The command line of `python -m benchmarks` (`nox -s bench --`): measure, compare, or render.

    python -m benchmarks                          # every figure, both engines (8-20 minutes)
    python -m benchmarks --only db_isolation_ms,password_hash_us --engines sqlite
    python -m benchmarks --compare benchmarks/baseline.json [--factor 1.5]
    python -m benchmarks --current build/bench/latest.json --compare benchmarks/baseline.json
    python -m benchmarks --current build/bench/latest.json --charts   # redraw, no measuring
    python -m benchmarks --readme [--current FILE]  # README's tables from the baseline (or FILE)

A measuring run writes build/bench/latest.json (pyperf's JSON: `python -m pyperf stats`,
`hist` and `compare_to` read it), latest.md and SVG charts beside them, and prints the table. It
exits 1 when a pytest run it timed did not pass (its figures are flagged), and with `--compare`
when a figure's ratio worsened by more than the factor.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks import charts, compare, report
from benchmarks.compare import DEFAULT_FACTOR
from benchmarks.core import ENGINES, Plan
from benchmarks.figures import KEYS, NAMES, run, selected
from tools import ROOT
from tools.argtypes import at_least_one, names

BASELINE = ROOT / "benchmarks" / "baseline.json"
README = ROOT / "README.md"


def factor(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 1.5, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be at least 1 (1.5 allows a ratio 1.5x worse), got {value}"
        )
    return value


def existing_file(text: str) -> Path:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return Path(text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nox -s bench --",
        description="Measure the suite's speed the naive and the optimized way, side by side.",
        epilog=f"figures: {', '.join(NAMES)}; engines: {', '.join(ENGINES)}",
    )
    add, n = p.add_argument, at_least_one
    add("--rounds", type=n, default=3, metavar="N", help="rounds per figure (default 3)")
    add("--suite-rounds", type=n, default=2, metavar="N", help="optimized suite rounds (2)")
    add("--naive-rounds", type=n, default=1, metavar="N", help="naive suite, auth module (1)")
    add(
        "--crossover-max",
        type=int,
        default=8,
        metavar="K",
        help="grow the suite up to Kx looking for the parallel crossover (default 8; 0 skips it)",
    )
    add(
        "--engines",
        type=names(ENGINES, "engines", False),
        default=ENGINES,
        metavar="A,B",
        help="the engines to measure on (default both; keys `figure@engine` but SQLite's)",
    )
    add(
        "--only",
        type=names((*NAMES, *KEYS), "figures", False),
        metavar="A,B",
        help="only these figures: a name (every engine) or a key (per_test_ms@postgresql)",
    )
    add("--with-slow", action="store_true", help="also time everything once, slow tests too")
    add("--suite", nargs="+", default=[], metavar="PATH", help="the whole suite (testpaths)")
    add(
        "--compare",
        type=existing_file,
        metavar="FILE",
        help="compare ratios with a saved result; exit 1 if one worsened by more than --factor",
    )
    add("--factor", type=factor, default=DEFAULT_FACTOR, help=f"default {DEFAULT_FACTOR}")
    add(
        "--current",
        type=existing_file,
        metavar="FILE",
        help="no measuring: this saved result for --compare, --charts or --readme",
    )
    add("--charts", action="store_true", help="with --current: redraw its SVG charts")
    add(
        "--readme",
        action="store_true",
        help="rewrite README.md's result tables from --current (default benchmarks/baseline.json)",
    )
    add(
        "--output",
        type=Path,
        default=Path("build/bench"),
        metavar="DIR",
        help="where results, charts and logs go (default build/bench)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    options = p.parse_args(argv)
    plan = Plan(**{name: getattr(options, name) for name in Plan.__dataclass_fields__})
    if options.readme:
        suite = report.load(options.current or BASELINE)
        README.write_text(report.rewrite_readme(README.read_text(), report.readme_blocks(suite)))
        print(f"Rewrote the result tables of {README} from {options.current or BASELINE}.")
        return 0
    if options.current and not (options.compare or options.charts):
        p.error("--current needs --compare FILE (what to compare it with), --charts or --readme")
    if not options.current and not selected(plan):
        p.error("--only names no figure measured on --engines " + ",".join(options.engines))
    status, current = 0, options.current
    if current:
        suite = report.load(current)
        if options.charts:
            try:
                drawn = charts.write_charts(suite, options.output, required=True)
            except charts.ChartError as error:
                print(f"bench: no charts from {current}: {error}", file=sys.stderr)
                return 2
            print(f"Charts of {current}: {', '.join(map(str, drawn))}.")
    else:
        suite, failures = run(plan, options.output)
        current = options.output / "latest.json"
        suite.dump(str(current), compact=False, replace=True)
        try:
            drawn = charts.write_charts(suite, options.output)
        except charts.ChartError as error:
            print(f"bench: charts skipped: {error}", file=sys.stderr)
            drawn = []
        table = report.markdown(suite)
        (options.output / "latest.md").write_text(table)
        print(table)
        print(f"Wrote {', '.join(map(str, [current, options.output / 'latest.md', *drawn]))}.")
        if failures:
            print(
                f"bench: {len(failures)} pytest run(s) did not pass; the figures they fed are "
                "flagged FAILED RUN",
                file=sys.stderr,
            )
            status = 1
    if not options.compare:
        return status
    outcome = compare.compare(suite, report.load(options.compare), options.factor)
    print(compare.render(outcome, str(options.compare), options.factor))
    print(compare.times(options.compare, current))
    if outcome.regressions:
        names_ = ", ".join(each.figure for each in outcome.regressions)
        print(f"bench: ratio regression in {names_}", file=sys.stderr)
        return 1
    return status
