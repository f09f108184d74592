"""The command line of `python -m benchmarks` (`nox -s bench --`): options, then measure or compare.

    python -m benchmarks                          # the whole table (a few minutes)
    python -m benchmarks --rounds 5               # more rounds for every figure
    python -m benchmarks --only db_isolation_ms,password_hash_us
    python -m benchmarks --engines postgresql --only per_test_ms
    python -m benchmarks --compare benchmarks/baseline.json [--factor 1.5]
    python -m benchmarks --current build/bench/latest.json --compare benchmarks/baseline.json
    python -m benchmarks --current build/bench/latest.json --charts   # redraw, no measuring

Writes build/bench/latest.json, build/bench/latest.md and SVG charts beside them
(benchmarks.charts), and prints the table. Exits 1 when a pytest run it timed did not pass
(its figures are flagged), and with `--compare` when a figure's ratio worsened by more than
the factor.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from benchmarks import charts, compare, report
from benchmarks.core import ENGINES
from benchmarks.figures import KEYS, NAMES, Plan, selected
from benchmarks.runner import run

Number = TypeVar("Number", int, float)


def _at_least_one(text: str, convert: Callable[[str], Number], kind: str, why: str = "") -> Number:
    """`text` as a number >= 1, or the error argparse shows beside the option's name."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1{why}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _at_least_one(text, int, "a whole number")


def factor(text: str) -> float:
    return _at_least_one(text, float, "a number such as 1.5", " (1.5 allows a ratio 1.5x worse)")


def _names(text: str, known: Sequence[str], kind: str) -> list[str]:
    """A comma-separated list of known names, or the error argparse shows beside the option."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown {kind}(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(known)}"
        )
    return list(dict.fromkeys(names))


def figure_list(text: str) -> list[str]:
    """Figure names (every chosen engine) or keys (`per_test_ms@postgresql`: that one)."""
    return _names(text, (*NAMES, *(key for key in KEYS if key not in NAMES)), "figure")


def engine_list(text: str) -> list[str]:
    return _names(text, ENGINES, "engine")


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nox -s bench --",
        description="Measure the suite's speed the naive and the optimized way, side by side.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="figures: " + ", ".join(NAMES) + "; engines: " + ", ".join(ENGINES),
    )
    p.add_argument(
        "--rounds",
        type=positive_int,
        default=3,
        metavar="N",
        help="rounds per figure, naive and optimized interleaved (default 3)",
    )
    p.add_argument(
        "--suite-rounds",
        type=positive_int,
        default=2,
        metavar="N",
        help="rounds of the optimized whole suite, serial and -n 2 (default 2)",
    )
    p.add_argument(
        "--naive-rounds",
        type=positive_int,
        default=1,
        metavar="N",
        help="rounds of the slowest naive runs: the whole suite and the auth module (default 1)",
    )
    p.add_argument(
        "--crossover-max",
        type=int,
        default=8,
        metavar="K",
        help="grow the fast part of the suite up to K times its size looking for the parallel "
        "crossover (default 8; 0 skips the crossover)",
    )
    p.add_argument(
        "--engines",
        type=engine_list,
        default=list(ENGINES),
        metavar="A,B",
        help=f"the database engines to measure on, side by side (default {','.join(ENGINES)}); "
        "SQLite's figures keep their names as keys, the others are `figure@engine`",
    )
    p.add_argument(
        "--only",
        type=figure_list,
        metavar="A,B",
        help="measure only these figures: a name (on every engine) or a key such as "
        "per_test_ms@postgresql",
    )
    p.add_argument(
        "--compare",
        type=existing_file,
        metavar="FILE",
        help="compare ratios with a saved result; exit 1 if one worsened by more than --factor",
    )
    p.add_argument(
        "--factor",
        type=factor,
        default=compare.DEFAULT_FACTOR,
        help=f"allowed worsening of a ratio for --compare (default {compare.DEFAULT_FACTOR})",
    )
    p.add_argument(
        "--current",
        type=existing_file,
        metavar="FILE",
        help="do not measure: compare this saved result (needs --compare) or redraw its "
        "charts (needs --charts)",
    )
    p.add_argument(
        "--charts",
        action="store_true",
        help="with --current: redraw the SVG charts of that result into --output (a measuring "
        "run always draws them)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=Path("build/bench"),
        metavar="DIR",
        help="where latest.json, latest.md, the charts and the logs go (default build/bench)",
    )
    p.add_argument(
        "--with-slow",
        action="store_true",
        help="also run everything once, slow tests included: their times and the list of "
        "tests over 100 ms (adds about a minute or two)",
    )
    p.add_argument(
        "--suite",
        nargs="+",
        default=[],
        metavar="PATH",
        help="what 'the whole suite' is (default: pytest's testpaths)",
    )
    return p


def plan_of(options: argparse.Namespace) -> Plan:
    """The options that decide what is measured (all but where the result goes and --compare)."""
    return Plan(**{each.name: getattr(options, each.name) for each in dataclasses.fields(Plan)})


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    options = p.parse_args(argv)
    if options.current and not (options.compare or options.charts):
        p.error("--current needs --compare FILE (what to compare it with) or --charts")
    if not options.current and not selected(plan_of(options)):
        p.error("--only names no figure measured on --engines " + ",".join(options.engines))
    status = 0
    if options.current:
        result = compare.load(options.current)
        if options.charts:
            try:
                drawn = redraw(result, options.output)
            except charts.ChartError as error:
                print(f"bench: no charts from {options.current}: {error}", file=sys.stderr)
                return 2
            print(f"Charts of {options.current}: {', '.join(map(str, drawn.written))}.")
    else:
        result = run(plan_of(options), options.output)
        options.output.mkdir(parents=True, exist_ok=True)
        (options.output / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
        drawn = draw(result, options.output)
        table = report.markdown(result)
        if drawn.written:
            names = ", ".join(f"[{path.name}]({path.name})" for path in drawn.written)
            table += f"\nCharts beside this file: {names}.\n"
        (options.output / "latest.md").write_text(table)
        print(table)
        written = [options.output / "latest.json", options.output / "latest.md", *drawn.written]
        print(f"Wrote {', '.join(map(str, written))}.")
        if result["failed_runs"]:
            count = len(result["failed_runs"])
            print(
                f"bench: {count} pytest run(s) did not pass; the figures they fed are flagged "
                "FAILED RUN (see the table's 'Failed pytest runs')",
                file=sys.stderr,
            )
            status = 1
    if not options.compare:
        return status
    outcome = compare.compare(result, compare.load(options.compare), options.factor)
    print(compare.render(outcome, str(options.compare)))
    if not outcome.ok:
        names = ", ".join(each.figure for each in outcome.regressions)
        print(f"bench: ratio regression in {names}", file=sys.stderr)
        return 1
    return status


def draw(result: dict[str, Any], output: Path) -> charts.Charts:
    """A measuring run's charts: what cannot be drawn is said on stderr, never fatal."""
    try:
        drawn = charts.write_charts(result, output)
    except charts.ChartError as error:
        print(f"bench: charts skipped: {error}", file=sys.stderr)
        return charts.Charts([], [])
    for reason in drawn.skipped:
        print(f"bench: chart skipped: {reason}", file=sys.stderr)
    return drawn


def redraw(result: dict[str, Any], output: Path) -> charts.Charts:
    """`--current FILE --charts`: every chart the result has data for; ChartError if none."""
    drawn = charts.write_charts(result, output)
    if not drawn.written:
        raise charts.ChartError("nothing to draw: " + "; ".join(drawn.skipped))
    for reason in drawn.skipped:
        print(f"bench: chart skipped: {reason}", file=sys.stderr)
    return drawn
