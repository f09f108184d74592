"""Run the whole suite again and again, each time in a new random order, to catch flaky tests.

    python scripts/stress.py [--runs N] [--workers W] [-- PYTEST ARGS...]

N runs serially, then N on W xdist workers (`--dist worksteal`), each with a fresh
pytest-randomly seed; then a summary of runs, tests and failures, with the seed of every
failing run and the command that replays its order (`pytest --randomly-seed=SEED ...`).
Exits 1 if any run failed. Each run's output is kept in build/stress/.
"""

from __future__ import annotations

import argparse
import random
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "build" / "stress"


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and whatever follows `--` for pytest (anything else unknown is an error)."""
    parser = argparse.ArgumentParser(
        prog="stress",
        description="Run the suite N times serially and N times on xdist workers, "
        "each with a new random test order.",
        epilog="Arguments after `--` go to every pytest run, e.g. `-- -m 'not slow'`.",
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per mode (default 5)")
    parser.add_argument("--workers", type=int, default=4, help="xdist workers in parallel mode (4)")
    ours, pytest_args = list(argv), []
    if "--" in ours:
        split = ours.index("--")
        ours, pytest_args = ours[:split], ours[split + 1 :]
    args = parser.parse_args(ours)
    for name in ("runs", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    return args, pytest_args


@dataclass
class Run:
    mode: str
    number: int
    seed: int
    replay: str = ""  # the pytest command line that reproduces this run's order
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


def execute(run: Run, mode_args: list[str], pytest_args: list[str]) -> None:
    report = LOGS / f"{run.name}.xml"
    seed = f"--randomly-seed={run.seed}"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",  # each run stands alone; none reorders by the last failures
        seed,
        f"--junitxml={report}",
        *mode_args,
        *pytest_args,
    ]
    run.replay = shlex.join(["pytest", seed, *mode_args, *pytest_args])
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    run.seconds = time.monotonic() - started
    run.returncode = result.returncode
    (LOGS / f"{run.name}.log").write_text(result.stdout + result.stderr)
    read_junit(run, report)


def summary(runs: list[Run]) -> str:
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
            f"FAILED {run.mode} run {run.number}, seed {run.seed}: replay with "
            f"`{run.replay}` (log: {LOGS / run.name}.log)"
        )
        lines.extend(f"    {test}" for test in run.failed_tests)
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    args, pytest_args = parse_args(argv)
    LOGS.mkdir(parents=True, exist_ok=True)
    modes = [
        ("serial", []),
        (f"{args.workers}-workers", ["-n", str(args.workers), "--dist", "worksteal"]),
    ]
    seeds = random.SystemRandom()
    runs: list[Run] = []
    for mode, mode_args in modes:
        for number in range(1, args.runs + 1):
            run = Run(mode, number, seed=seeds.randrange(1, 2**31))
            execute(run, mode_args, pytest_args)
            runs.append(run)
            status = "ok" if run.ok else f"FAILED (exit {run.returncode})"
            print(
                f"[{len(runs)}/{2 * args.runs}] {mode} seed={run.seed}: {run.tests} tests, "
                f"{run.failures + run.errors} failures, {run.seconds:.1f}s {status}",
                flush=True,
            )
    print(summary(runs))
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
