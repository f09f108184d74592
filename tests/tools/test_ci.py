"""`nox -s ci`'s own options (tools/ci.py): parsed out of the posargs; the commands they make."""

from __future__ import annotations

import pytest

from tools.ci import ENGINES, XDIST, CiOptions, parse_ci_args, pytest_runs


def test_no_options_is_both_engines_whole_and_everything_else_goes_to_pytest():
    options = parse_ci_args(["-k", "login", "--db-url=postgresql://x", "tests/api"])
    assert options == CiOptions(ENGINES, None, None, ("-k", "login", "--db-url=postgresql://x",
                                                      "tests/api"))  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ["--splits", "3", "--group", "2", "--engine", "sqlite"],
        ["--splits=3", "--group=2", "--engine=sqlite"],
        ["--engine", "sqlite", "-x", "--group", "2", "--splits=3"],
    ],
)
def test_a_slice_in_either_spelling_and_any_order(args):
    options = parse_ci_args(args)
    assert (options.engines, options.splits, options.group) == (("sqlite",), 3, 2)
    assert options.pytest_args == (("-x",) if "-x" in args else ())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--splits"], "--splits needs a value"),
        (["--splits", "three", "--group", "1"], "--splits expected a whole number, got 'three'"),
        (["--splits", "3", "--group", "0"], "--group must be at least 1, got 0"),
        (["--splits", "3"], "--splits N and --group I go together"),
        (["--group", "1"], "--splits N and --group I go together"),
        (["--splits", "2", "--group", "3"], "--group 3 is past --splits 2: slices are 1 to 2"),
        (["--engine", "mysql"], "--engine is one of sqlite, postgresql or both, got 'mysql'"),
    ],
)
def test_a_bad_option_says_which_and_why(args, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        parse_ci_args(args)


def test_whole_runs_share_one_coverage_file_and_only_the_last_reports():
    first, last = pytest_runs(parse_ci_args(["-x"]))
    assert first.args[: len(XDIST) + 1] == (*XDIST, "--db=sqlite")
    assert "--cov-fail-under=0" in first.args
    assert "--cov-append" not in first.args
    assert "--database-tests-only" in last.args
    assert "--cov-append" in last.args
    assert "--cov-report=xml:build/coverage.xml" in last.args
    assert "--cov-fail-under=0" not in last.args  # the floor from pyproject.toml, once
    assert (first.args[-1], last.args[-1]) == ("-x", "-x")
    assert first.env == last.env == {}


def test_a_slice_names_its_files_for_combine_and_applies_no_floor():
    (run,) = pytest_runs(parse_ci_args(["--splits", "3", "--group", "2", "--engine",
                                        "postgresql"]))  # fmt: skip
    assert "--splits=3" in run.args
    assert "--group=2" in run.args
    assert "--junitxml=build/slices/junit-postgresql-2of3.xml" in run.args
    assert "--cov-fail-under=0" in run.args
    assert run.env == {"COVERAGE_FILE": "build/slices/.coverage.postgresql-2of3"}
