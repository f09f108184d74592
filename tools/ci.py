"""The `ci` session's own options, taken out of its posargs before anything is installed.

    python -m nox -s ci -- [--splits N --group I] [--engine sqlite|postgresql|both] [PYTEST ARGS]

Parsed here rather than left to pytest-split so that a bad slice fails at once, with a message
naming the option, and so that the session's engine loop sees them. Everything else is pytest's.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from tools.argtypes import at_least_one

ENGINES = ("sqlite", "postgresql")
OPTIONS = ("--splits", "--group", "--engine")


@dataclass(frozen=True)
class CiOptions:
    """`ci`'s own options; `pytest_args` is the rest, in order."""

    engines: tuple[str, ...] = ENGINES
    splits: int | None = None
    group: int | None = None
    pytest_args: tuple[str, ...] = ()


def parse_ci_args(args: Sequence[str]) -> CiOptions:
    """`--splits N --group I --engine E` (or `--splits=N`...) out of `args`; ValueError if bad.

    Not argparse: every argument it does not know, positional or not, passes through to pytest
    untouched and in place.
    """
    found: dict[str, str] = {}
    rest: list[str] = []
    pending = list(args)
    while pending:
        arg = pending.pop(0)
        name, equals, value = arg.partition("=")
        if name not in OPTIONS:
            rest.append(arg)
            continue
        if not equals:
            if not pending:
                raise ValueError(f"{name} needs a value")
            value = pending.pop(0)
        found[name] = value
    numbers: dict[str, int] = {}
    for name in ("--splits", "--group"):
        if name in found:
            try:
                numbers[name] = at_least_one(found[name])
            except argparse.ArgumentTypeError as error:
                raise ValueError(f"{name} {error}") from None
    splits, group = numbers.get("--splits"), numbers.get("--group")
    if (splits is None) != (group is None):
        raise ValueError("--splits N and --group I go together (slice I of N)")
    if splits is not None and group is not None and group > splits:
        raise ValueError(f"--group {group} is past --splits {splits}: slices are 1 to {splits}")
    engine = found.get("--engine", "both")
    if engine not in (*ENGINES, "both"):
        raise ValueError(f"--engine is one of {', '.join(ENGINES)} or both, got {engine!r}")
    engines = ENGINES if engine == "both" else (engine,)
    return CiOptions(engines, splits, group, tuple(rest))


# The settings the sessions share with `ci`: noxfile.py imports them from here.
XDIST = ("-n", "auto", "--dist", "worksteal", "--maxprocesses=4")
# What to measure and the floor (branch mode, 90%) live in pyproject.toml's [tool.coverage].
COVERAGE = ("--cov", "--cov-report=term-missing:skip-covered",
            "--cov-report=xml:build/coverage.xml")  # fmt: skip
NO_REPORT = ("--cov", "--cov-report=", "--cov-fail-under=0")
# pytest-split's per-test timings, committed; `nox -s durations` refreshes it.
DURATIONS = ".test_durations"
# Where a CI slice leaves its coverage data and JUnit file, for `nox -s combine`.
SLICES = "build/slices"


@dataclass(frozen=True)
class PytestRun:
    """One pytest command of `ci`: its arguments (after `pytest`) and extra environment."""

    args: tuple[str, ...]
    env: dict[str, str]


def engine_args(engine: str) -> list[str]:
    """pytest's options for one engine: on PostgreSQL, only what reaches the database (the
    rest gives the same answer on SQLite)."""
    return [f"--db={engine}", *(["--database-tests-only"] if engine == "postgresql" else [])]


def slice_name(engine: str, group: int, splits: int) -> str:
    """What a slice's files are named for: junit-sqlite-2of3.xml, .coverage.sqlite-2of3
    (tools/shards.py's `merge` reads the names back)."""
    return f"{engine}-{group}of{splits}"


def pytest_runs(options: CiOptions) -> list[PytestRun]:
    """The pytest commands `ci` runs for `options`, one per engine.

    Whole: each engine appends to one coverage data file and the last one reports and applies
    the floor. A slice: each engine's coverage data and JUnit file named for the slice, no
    floor (`nox -s combine` applies it once to the merged slices).
    """
    runs = []
    for number, engine in enumerate(options.engines):
        last = number == len(options.engines) - 1
        if options.splits is None or options.group is None:
            coverage = [*(COVERAGE if last else NO_REPORT), *(["--cov-append"] if number else [])]
            args = [*coverage, f"--junitxml=build/junit-{engine}.xml",
                    *(["--durations=10"] if last else [])]  # fmt: skip
            env = {}
        else:
            name = slice_name(engine, options.group, options.splits)
            args = [f"--splits={options.splits}", f"--group={options.group}",
                    f"--durations-path={DURATIONS}", *NO_REPORT,
                    f"--junitxml={SLICES}/junit-{name}.xml", "--durations=5"]  # fmt: skip
            env = {"COVERAGE_FILE": f"{SLICES}/.coverage.{name}"}
        runs.append(PytestRun((*XDIST, *engine_args(engine), *args, *options.pytest_args), env))
    return runs
