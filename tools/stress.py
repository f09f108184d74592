"""Run the whole suite again and again, each time in a new random order, to catch flaky tests.

    python -m tools.stress [--runs N] [--workers W] [--mode serial|parallel|both]
                           [--seed SEED] [--logs DIR] [-- PYTEST ARGS...]

N runs serially, then N on W xdist workers (`--dist worksteal`, as `nox -s parallel` and `ci`
run), each with a fresh pytest-randomly seed; then a summary of runs, tests and failures.
Each run's output is kept in `--logs` (default build/stress/).

A failure that only one order shows is lost unless it can be replayed, so every failing run
gets commands that replay it, each a complete shell line (`cd ROOT && PYTHON -m pytest ...`,
the interpreter that ran it, whatever environment the shell has active):
- the same pytest command: same seed, hence the same collection order, and for a parallel run
  the same worker count and distribution. Worksteal hands tests out by timing, so a parallel
  replay may need several tries: `--seed SEED --mode parallel --runs K` makes them.
- for a parallel run, each failing worker's own sequence of tests in one process, read back
  from the run's verbose output (an `@file` of node ids, kept in order by
  `--randomly-dont-reorganize`; test paths given after `--` are left out, options kept): the
  order that failed, every time, with no timing left to luck.
Exits 1 if any run failed, 2 on bad options.
"""

from __future__ import annotations

import argparse
import random
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools import ROOT
from tools.argtypes import at_least_one, whole_number

LOGS = ROOT / "build" / "stress"
MODES = ("serial", "parallel")
SEEDS = 2**32  # pytest-randomly seeds Python's, NumPy's (and others') generators with it
# xdist's verbose report line: "[gw3] [ 45%] PASSED tests/test_x.py::test_y[1] "
WORKER_LINE = re.compile(r"^\[(gw\d+)\] \[\s*\d+%\] [A-Z]+ (.+?)\s*$")


def seed_value(text: str) -> int:
    value = whole_number(text)
    if not 0 <= value < SEEDS:
        raise argparse.ArgumentTypeError(f"must be from 0 to {SEEDS - 1}, got {value}")
    return value


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and whatever follows `--` for pytest (anything else unknown is an error)."""
    parser = argparse.ArgumentParser(
        prog="stress",
        description="Run the suite N times serially and N times on xdist workers, "
        "each with a new random test order (or the one given by --seed).",
        epilog="Arguments after `--` go to every pytest run, e.g. `-- -m 'not slow'`. "
        "Replay a failed parallel run: `--seed SEED --mode parallel --workers W --runs 5`.",
    )
    parser.add_argument(
        "--runs", type=at_least_one, default=5, metavar="N", help="runs per mode (default 5)"
    )
    parser.add_argument(
        "--workers",
        type=at_least_one,
        default=4,
        metavar="W",
        help="xdist workers in parallel mode (default 4; more than the CPUs interleave more)",
    )
    parser.add_argument(
        "--mode",
        choices=(*MODES, "both"),
        default="both",
        help="serial runs, parallel runs (-n W --dist worksteal), or both (default)",
    )
    parser.add_argument(
        "--seed",
        type=seed_value,
        metavar="SEED",
        help="use this pytest-randomly seed in every run instead of a new one each time",
    )
    parser.add_argument(
        "--logs",
        type=Path,
        default=LOGS,
        metavar="DIR",
        help="where each run's output and JUnit file go (default build/stress/)",
    )
    ours, pytest_args = list(argv), []
    if "--" in ours:
        split = ours.index("--")
        ours, pytest_args = ours[:split], ours[split + 1 :]
    return parser.parse_args(ours), pytest_args


@dataclass
class Run:
    mode: str
    number: int
    seed: int
    replay: str = ""  # the shell line that runs this run's pytest command again
    worker_replays: dict[str, str] = field(default_factory=dict)  # failing worker: shell line
    returncode: int = -1
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failed_tests: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.mode}-{self.number}-seed-{self.seed}"

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def shell_line(*pytest_args: str) -> str:
    """A line to paste into a shell anywhere: the repository root, this interpreter, pytest."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args]
    return f"cd {shlex.quote(str(ROOT))} && {shlex.join(command)}"


def read_junit(run: Run, report: Path) -> None:
    """Counts and failed test ids from pytest's JUnit XML (merged from all xdist workers)."""
    if not report.exists():
        return
    root = ElementTree.parse(report).getroot()
    for suite in root.iter("testsuite"):
        run.tests += int(suite.get("tests", 0))
        run.failures += int(suite.get("failures", 0))
        run.errors += int(suite.get("errors", 0))
        run.skipped += int(suite.get("skipped", 0))
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            run.failed_tests.append(f"{case.get('classname')}::{case.get('name')}")


def worker_orders(output: str) -> tuple[dict[str, list[str]], set[str]]:
    """Each worker's node ids in the order it ran them, and the workers that failed one."""
    orders: dict[str, list[str]] = {}
    failing: set[str] = set()
    for line in output.splitlines():
        match = WORKER_LINE.match(line)
        if match is None:
            continue
        worker, node = match.groups()
        order = orders.setdefault(worker, [])
        if node not in order:  # a test reported twice (passed, then an error at teardown)
            order.append(node)
        if " FAILED " in line or " ERROR " in line:
            failing.add(worker)
    return orders, failing


def options_only(pytest_args: list[str]) -> list[str]:
    """`pytest_args` without the test paths: next to an @file of node ids, pytest would merge
    a path with the node ids in the same file and run them in the file's order instead."""
    return [arg for arg in pytest_args if not (ROOT / arg.split("::")[0]).exists()]


def execute(run: Run, mode_args: list[str], pytest_args: list[str], logs: Path) -> None:
    report = logs / f"{run.name}.xml"
    seed = f"--randomly-seed={run.seed}"
    # Verbose in parallel: the lines that say which worker ran which test, in its order.
    verbosity = "-v" if mode_args else "-q"
    command = [
        sys.executable,
        "-m",
        "pytest",
        verbosity,
        "-p",
        "no:cacheprovider",  # each run stands alone; none reorders by the last failures
        seed,
        f"--junitxml={report}",
        *mode_args,
        *pytest_args,
    ]
    run.replay = shell_line(seed, *mode_args, *pytest_args)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    run.seconds = time.monotonic() - started
    run.returncode = result.returncode
    (logs / f"{run.name}.log").write_text(result.stdout + result.stderr)
    read_junit(run, report)
    if mode_args and not run.ok:
        orders, failing = worker_orders(result.stdout)
        for worker in sorted(failing):
            order = logs / f"{run.name}-{worker}.args"
            order.write_text("".join(f"{node}\n" for node in orders[worker]))
            run.worker_replays[worker] = shell_line(
                seed, "--randomly-dont-reorganize", f"@{order}", *options_only(pytest_args)
            )


def summary(runs: list[Run], logs: Path) -> str:
    failed = [run for run in runs if not run.ok]
    lines = [
        f"{'mode':<10}{'run':>4}  {'seed':>10}  {'result':<8}{'tests':>6}{'failed':>8}"
        f"{'errors':>8}{'skipped':>9}{'time':>9}"
    ]
    for run in runs:
        result = "passed" if run.ok else f"exit {run.returncode}"
        lines.append(
            f"{run.mode:<10}{run.number:>4}  {run.seed:>10}  {result:<8}{run.tests:>6}"
            f"{run.failures:>8}{run.errors:>8}{run.skipped:>9}{run.seconds:>8.1f}s"
        )
    lines.append(
        f"stress: {len(runs)} runs, {sum(run.tests for run in runs)} tests, "
        f"{len(failed)} failed runs, "
        f"{sum(run.failures + run.errors for run in runs)} failures"
    )
    for run in failed:
        lines.append(
            f"FAILED {run.mode} run {run.number}, seed {run.seed} (log: {logs / run.name}.log)"
        )
        lines.extend(f"    {test}" for test in run.failed_tests)
        lines.append(f"  replay the run (same seed, mode and workers):\n    {run.replay}")
        for worker, replay in run.worker_replays.items():
            lines.append(f"  replay {worker}'s tests in its order, in one process:\n    {replay}")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    args, pytest_args = parse_args(argv)
    args.logs.mkdir(parents=True, exist_ok=True)
    all_modes = {
        "serial": [],
        "parallel": ["-n", str(args.workers), "--dist", "worksteal"],
    }
    modes = MODES if args.mode == "both" else (args.mode,)
    seeds = random.SystemRandom()
    runs: list[Run] = []
    total = len(modes) * args.runs
    for mode in modes:
        for number in range(1, args.runs + 1):
            seed = seeds.randrange(1, 2**31) if args.seed is None else args.seed
            run = Run(mode, number, seed)
            execute(run, all_modes[mode], pytest_args, args.logs)
            runs.append(run)
            status = "ok" if run.ok else f"FAILED (exit {run.returncode})"
            print(
                f"[{len(runs)}/{total}] {mode} seed={run.seed}: {run.tests} tests, "
                f"{run.failures + run.errors} failures, {run.seconds:.1f}s {status}",
                flush=True,
            )
    print(summary(runs, args.logs))
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
