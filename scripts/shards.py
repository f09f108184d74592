"""CI slices (pytest-split): plan how many from the durations file, merge what they left.

    python scripts/shards.py plan [--shards 1,2,4,8,16] [--fixed-cost S] [--job-overhead S]
                                  [--combine-cost S] [--workers W] [--scale 1,4,16]
    python scripts/shards.py merge build/slices --junit build/junit.xml

`plan` is `nox -s shards`: before paying for more CI machines, see what they would buy. It forms
the slices with pytest-split's own algorithm on the node-id order the suite slices on
(pytest_fastapi_db/shards.py), so the balance printed is the balance CI gets, and adds what
every job pays whatever its slice: start-up and collection (measured here unless `--fixed-cost`
is given), the runner's own start (`--job-overhead`) and, once split, the combine job
(`--combine-cost`).
`--scale K` replays the suite K times over (tests renamed) to show where a larger suite lands.

`merge` is the first half of `nox -s combine`: it says which slices it found, fails clearly if
none or if an engine's slices are incomplete (a missing slice would silently lower coverage and
lose its tests from the report), and merges their JUnit files into one (junitparser).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
# What `nox -s ci -- --splits N --group I` names a slice's files: junit-sqlite-2of3.xml and
# .coverage.sqlite-2of3 (coverage may add its own suffix after it).
SLICE_NAME = re.compile(r"(?:junit-|\.coverage\.)(?P<engine>\w+)-(?P<group>\d+)of(?P<splits>\d+)")


@dataclass(frozen=True)
class Test:
    """Stands in for a pytest item: pytest-split's algorithms read `nodeid` (and `str()`)."""

    nodeid: str

    def __str__(self) -> str:
        return self.nodeid


def slice_durations(durations: dict[str, float], splits: int, algorithm: str) -> list[float]:
    """The estimated duration of each slice, as pytest-split forms them on node-id order."""
    from pytest_split.algorithms import Algorithms

    items = [Test(nodeid) for nodeid in sorted(durations)]
    groups = Algorithms[algorithm].value(splits, cast(Any, items), durations)
    return [group.duration for group in groups]


def timed(*args: str) -> float:
    """Wall seconds of `python -m pytest ARGS` from the checkout; its failure is an error."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                   cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - start


def measure_fixed_cost(durations: dict[str, float]) -> float:
    """What a job pays besides its tests: start-up and whole-suite collection, plus session set-up.

    Every slice collects the whole suite before pytest-split deselects, so: `--collect-only` of
    the suite, plus the one-test run's extra over collecting that one test (session fixtures,
    database template, reports) minus the test's own recorded time.
    """
    one = min(durations, key=durations.__getitem__)
    collect_all = timed("--collect-only")
    one_run = timed("-p", "no:randomly", one) - durations[one]
    collect_one = timed("--collect-only", one)
    print(f"measured: collect the suite {collect_all:.1f} s; a one-test run {one_run:.1f} s, "
          f"of which collecting it {collect_one:.1f} s", file=sys.stderr)  # fmt: skip
    return collect_all + max(one_run - collect_one, 0.0)


def plan(options: argparse.Namespace) -> int:
    """Print the table: per shard count, the slowest slice, balance, wall and machine time."""
    durations: dict[str, float] = json.loads(Path(options.durations).read_text())
    if not durations:
        sys.exit(f"{options.durations} has no durations: run `python -m nox -s durations`")
    fixed = options.fixed_cost
    if fixed is None:
        fixed = measure_fixed_cost(durations)
    overhead, combine, workers = options.job_overhead, options.combine_cost, options.workers
    print(f"durations: {options.durations}, {len(durations)} tests, {sum(durations.values()):.1f} "
          f"s serial; per job: fixed {fixed:.1f} s + runner {overhead:.0f} s; combine job "
          f"{combine:.0f} s once split; tests on {workers} worker(s) a job; "
          f"algorithm {options.algorithm}")  # fmt: skip
    print(
        "\n| suite | tests | shards | slowest slice s | mean s | balance | CI wall s | "
        "speed-up | machine s |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for scale in options.scale:
        suite = {f"{nodeid}#{copy}": seconds for copy in range(scale)
                 for nodeid, seconds in durations.items()}  # fmt: skip
        single = 0.0
        for shards in options.shards:
            slices = slice_durations(suite, shards, options.algorithm)
            slowest, mean = max(slices) / workers, sum(slices) / len(slices) / workers
            wall = overhead + fixed + slowest + (combine if shards > 1 else 0.0)
            single = single or wall
            machine = shards * (overhead + fixed + mean) + (combine if shards > 1 else 0.0)
            print(
                f"| x{scale} | {len(suite)} | {shards} | {slowest:.1f} | {mean:.1f} | "
                f"{slowest / mean:.2f} | {wall:.0f} | {single / wall:.2f}x | {machine:.0f} |"
            )
    # Splitting in two pays in wall time once half the tests outlast the combine job.
    # Two shards save half the test time in wall and add the combine job: they pay once half the
    # tests outlast it. Past that, each shard more saves less and costs a whole job again.
    print(
        f"\nsplitting pays (wall) from about {2 * combine * workers:.0f} s of serial test "
        f"time; add shards while a slice stays well above the fixed {fixed + overhead:.0f} s "
        f"a job pays."
    )
    return 0


def merge(options: argparse.Namespace) -> int:
    """Inventory the slices in DIR, check each engine's are complete, merge their JUnit files."""
    from junitparser import JUnitXml

    folder = Path(options.folder)
    found: dict[str, dict[str, set[tuple[int, int]]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        match = SLICE_NAME.match(path.name)
        if match:
            kind = "junit" if path.name.startswith("junit-") else "coverage"
            slice_id = (int(match["group"]), int(match["splits"]))
            found[match["engine"]][kind].add(slice_id)
    if not found:
        sys.exit(
            f"combine: no slices in {folder}/. Run `python -m nox -s ci -- --splits N --group I` "
            "for each I first (CI: download every shard's artifact there)."
        )
    problems: list[str] = []
    for engine, kinds in sorted(found.items()):
        splits = {n for ids in kinds.values() for _, n in ids}
        groups = {g for g, _ in kinds["junit"] & kinds["coverage"]}
        seen = ", ".join(f"{kind} {sorted(g for g, _ in kinds[kind])}" for kind in sorted(kinds))
        if len(splits) > 1:
            problems.append(f"{engine}: slices of different splits {sorted(splits)} (stale files?)")
            continue
        (total,) = splits
        missing = sorted(set(range(1, total + 1)) - groups)
        print(f"combine: {engine}: {len(groups)} of {total} slices found ({seen})")
        if missing:
            problems.append(f"{engine}: slice(s) {missing} of {total} missing (coverage or JUnit)")
    if problems:
        sys.exit("combine: incomplete, nothing merged:\n  " + "\n  ".join(problems))
    merged = JUnitXml()
    for path in sorted(folder.glob("junit-*.xml")):
        merged += JUnitXml.fromfile(str(path))
    merged.update_statistics()  # type: ignore[no-untyped-call]  # junitparser leaves it bare
    Path(options.junit).parent.mkdir(parents=True, exist_ok=True)
    merged.write(options.junit, pretty=True)
    print(f"combine: JUnit of {sum(1 for _ in merged)} suites -> {options.junit}: "
          f"{merged.tests} tests, {merged.failures} failures, {merged.errors} errors, "
          f"{merged.skipped} skipped")  # fmt: skip
    return 0


def numbers(text: str) -> list[int]:
    """`1,2,4` as a list of whole numbers of 1 or more (for argparse)."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 1,2,4, got {text!r}") from None
    if min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected numbers of 1 or more, got {text!r}")
    return values


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the subcommand and run it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    planner = commands.add_parser("plan", help="expected wall time and balance per shard count")
    planner.add_argument("--durations", default=str(ROOT / ".test_durations"))
    planner.add_argument("--shards", type=numbers, default=[1, 2, 4, 8, 16])
    planner.add_argument("--scale", type=numbers, default=[1],
                         help="also plan the suite K times over, e.g. 1,4,16")  # fmt: skip
    planner.add_argument("--fixed-cost", type=float, default=None,
                         help="seconds a job pays besides tests (default: measure it)")  # fmt: skip
    planner.add_argument("--job-overhead", type=float, default=30.0,
                         help="a runner's start, checkout, cached set-up (default 30)")  # fmt: skip
    planner.add_argument("--combine-cost", type=float, default=40.0,
                         help="the combine job, runner start included (default 40)")  # fmt: skip
    planner.add_argument("--workers", type=int, default=1,
                         help="xdist workers a job runs its slice on (default 1)")  # fmt: skip
    planner.add_argument("--algorithm", default="least_duration",  # as pytest.ini has it
                         choices=["duration_based_chunks", "least_duration"])  # fmt: skip
    merger = commands.add_parser("merge", help="check the slices in FOLDER, merge their JUnit")
    merger.add_argument("folder")
    merger.add_argument("--junit", default="build/junit.xml")
    options = parser.parse_args(argv)
    return plan(options) if options.command == "plan" else merge(options)


if __name__ == "__main__":
    sys.exit(main())
