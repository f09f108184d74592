"""`python -m benchmarks`: measure every figure the naive and the optimized way, side by side.

    python -m benchmarks                          # the whole table (a few minutes)
    python -m benchmarks --rounds 5               # more rounds for every figure
    python -m benchmarks --only db_isolation_ms,password_hash_us
    python -m benchmarks --compare benchmarks/baseline.json [--factor 1.5]
    python -m benchmarks --current build/bench/latest.json --compare benchmarks/baseline.json

Writes build/bench/latest.json and build/bench/latest.md and prints the table. With
`--compare`, exits 1 naming every figure whose ratio worsened by more than the factor.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import compare, measure, report

IN_PROCESS = ("db_isolation_ms", "password_hash_us", "shared_data_ms")
SUBPROCESS = ("single_test_s", "api_test_ms", "auth_module_s")
SUITE = ("per_test_ms", "suite_serial_s", "suite_parallel_s")
FIGURES = (*IN_PROCESS, *SUBPROCESS, *SUITE, "collection_s")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


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


def figure_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in FIGURES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown figure(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(FIGURES)}"
        )
    return names


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
        epilog="figures: " + ", ".join(FIGURES),
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
    p.add_argument("--only", type=figure_list, metavar="A,B", help="measure only these figures")
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
        help="do not measure: compare this saved result (needs --compare)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=Path("build/bench"),
        metavar="DIR",
        help="where latest.json, latest.md and the logs go (default build/bench)",
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


class Progress:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[bench {time.perf_counter() - self.started:5.0f} s] {message}", file=sys.stderr)
        sys.stderr.flush()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def run(options: argparse.Namespace) -> dict[str, Any]:
    wanted = options.only or list(FIGURES)
    progress = Progress()
    bench = measure.Bench(options.output, progress)
    started = report.machine()
    rounds, selection = options.rounds, options.suite
    figures: dict[str, measure.Figure] = {}
    crossover, slow = None, None
    progress(
        f"{len(wanted)} figure(s), {rounds} round(s) each; whole suite "
        f"{options.suite_rounds} round(s), its naive runs {options.naive_rounds}; "
        f"logs in {bench.logs}"
    )
    steps: dict[str, Callable[[], measure.Figure | None]] = {
        "db_isolation_ms": lambda: measure.db_isolation(bench, rounds),
        "password_hash_us": lambda: measure.password_hash(bench, rounds),
        "shared_data_ms": lambda: measure.shared_data(bench, rounds),
        "single_test_s": lambda: measure.single_test(bench, rounds),
        "api_test_ms": lambda: measure.api_test(bench, rounds),
        "auth_module_s": lambda: measure.auth_module(bench, rounds, options.naive_rounds),
        "collection_s": lambda: measure.collection(bench, rounds, selection),
    }
    alone = [key for key in wanted if key not in SUITE]
    parts = len(alone) + (1 if len(alone) < len(wanted) else 0)
    for number, key in enumerate(alone, start=1):
        progress(f"part {number}/{parts}: {key}")
        figure = steps[key]()
        if figure is not None:
            figures[key] = figure
            progress(f"{key}: {summary_line(figure)}")
    if any(key in SUITE for key in wanted):
        progress(f"part {parts}/{parts}: per_test_ms, suite_serial_s, suite_parallel_s")
        runs = measure.suite_runs(
            bench, options.suite_rounds, options.naive_rounds, selection, options.with_slow
        )
        for figure in measure.suite_figures(runs, options.naive_rounds):
            if figure.key in wanted:
                figures[figure.key] = figure
                progress(f"{figure.key}: {summary_line(figure)}")
        slow = measure.slow_tests(runs)
        if "suite_parallel_s" in wanted and options.crossover_max > 0:
            crossover = measure.crossover(bench, runs, options.crossover_max, selection)
            progress(f"crossover: {crossover.get('summary')}")
    ordered = {key: figures[key].summary() for key in FIGURES if key in figures}
    return report.document(
        ordered,
        options={
            "rounds": rounds,
            "suite_rounds": options.suite_rounds,
            "naive_rounds": options.naive_rounds,
            "with_slow": options.with_slow,
            "crossover_max": options.crossover_max,
            "only": options.only,
            "suite": selection,
        },
        started=started,
        elapsed_s=progress.elapsed,
        crossover=crossover,
        slow_tests=slow,
        warnings=bench.warnings,
    )


def summary_line(figure: measure.Figure) -> str:
    ratio = f"{report.number(figure.ratio)}x" if figure.ratio else "-"
    return (
        f"naive {report.number(figure.median('naive'))} {figure.unit}, optimized "
        f"{report.number(figure.median('optimized'))} {figure.unit}, ratio {ratio}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    options = p.parse_args(argv)
    if options.current and not options.compare:
        p.error("--current needs --compare FILE (what to compare it with)")
    if options.current:
        result = compare.load(options.current)
    else:
        result = run(options)
        options.output.mkdir(parents=True, exist_ok=True)
        (options.output / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
        table = report.markdown(result)
        (options.output / "latest.md").write_text(table)
        print(table)
        print(f"Wrote {options.output / 'latest.json'} and {options.output / 'latest.md'}.")
    if not options.compare:
        return 0
    outcome = compare.compare(result, compare.load(options.compare), options.factor)
    print(compare.render(outcome, str(options.compare)))
    if not outcome.ok:
        names = ", ".join(each.figure for each in outcome.regressions)
        print(f"bench: ratio regression in {names}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
