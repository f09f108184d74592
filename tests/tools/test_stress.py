"""`nox -s stress` (tools/stress.py): its options, what it reads from pytest, and a real run."""

from __future__ import annotations

import shlex
import textwrap

import pytest

from tools import ROOT
from tools.stress import Run, main, options_only, parse_args, read_junit, summary, worker_orders


def test_options_before_the_double_dash_are_ours_and_the_rest_pytest():
    args, pytest_args = parse_args(["--runs", "2", "--mode", "serial", "--", "-x", "--runs"])
    assert (args.runs, args.mode, args.workers, args.seed) == (2, "serial", 4, None)
    assert pytest_args == ["-x", "--runs"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "0"], "argument --runs: must be at least 1, got 0"),
        (["--seed", str(2**32)], f"argument --seed: must be from 0 to {2**32 - 1}"),
        (["--seed", "-1"], "argument --seed: must be from 0"),
        (["--mode", "random"], "argument --mode: invalid choice"),
        (["-x"], "unrecognized arguments: -x"),  # a pytest option without `--` before it
    ],
)
def test_bad_options_stop_with_a_usage_message(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_each_workers_tests_are_read_back_in_order_and_failing_workers_named():
    output = textwrap.dedent("""\
        [gw0] [ 25%] PASSED tests/test_a.py::test_one
        [gw1] [ 50%] FAILED tests/test_b.py::test_two[1]
        some other line
        [gw0] [ 75%] PASSED tests/test_a.py::test_three
        [gw0] [ 75%] ERROR tests/test_a.py::test_three
        [gw1] [100%] PASSED tests/test_b.py::test_four
    """)
    orders, failing = worker_orders(output)
    assert orders == {
        "gw0": ["tests/test_a.py::test_one", "tests/test_a.py::test_three"],
        "gw1": ["tests/test_b.py::test_two[1]", "tests/test_b.py::test_four"],
    }
    assert failing == {"gw0", "gw1"}


def test_test_paths_are_left_out_of_a_replay_and_options_kept():
    args = ["-x", "tests/tools", "tests/tools/test_stress.py::test_x", "-k", "login"]
    assert options_only(args) == ["-x", "-k", "login"]


def test_counts_and_failed_tests_come_from_the_junit_file(tmp_path):
    report = tmp_path / "run.xml"
    report.write_text(
        textwrap.dedent("""\
        <testsuites><testsuite tests="3" failures="1" errors="1" skipped="0">
          <testcase classname="tests.test_a" name="test_ok"/>
          <testcase classname="tests.test_a" name="test_bad"><failure message="x"/></testcase>
          <testcase classname="tests.test_b" name="test_broken"><error message="y"/></testcase>
        </testsuite></testsuites>""")
    )
    run = Run("serial", 1, 7)
    read_junit(run, report)
    read_junit(run, tmp_path / "absent.xml")  # a run that died before writing one adds nothing
    assert (run.tests, run.failures, run.errors) == (3, 1, 1)
    assert run.failed_tests == ["tests.test_a::test_bad", "tests.test_b::test_broken"]


def test_the_summary_gives_a_failed_run_its_tests_and_replays(tmp_path):
    passed = Run("serial", 1, 11, returncode=0, tests=5)
    failed = Run("parallel", 1, 22, replay="cd here && again", returncode=1, tests=5,
                 failures=1, failed_tests=["tests.test_a::test_bad"],
                 worker_replays={"gw1": "cd here && gw1 again"})  # fmt: skip
    text = summary([passed, failed], tmp_path)
    assert "stress: 2 runs, 10 tests, 1 failed runs, 1 failures" in text
    assert f"FAILED parallel run 1, seed 22 (log: {tmp_path}/parallel-1-seed-22.log)" in text
    assert "    tests.test_a::test_bad" in text
    assert "replay the run (same seed, mode and workers):\n    cd here && again" in text
    assert "replay gw1's tests in its order, in one process:\n    cd here && gw1 again" in text


@pytest.mark.slow
def test_a_real_run_in_each_mode_finds_the_failure_and_writes_replays(tmp_path, capsys):
    """Two real pytest runs of a file outside the suite: one test fails, every time."""
    tests = tmp_path / "test_sample.py"
    tests.write_text("def test_passes():\n    pass\n\n\ndef test_fails():\n    assert False\n")
    logs = tmp_path / "logs"
    status = main(["--runs", "1", "--workers", "2", "--seed", "5", "--logs", str(logs),
                   "--", "-p", "no:cacheprovider", str(tests)])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 1
    assert "stress: 2 runs, 4 tests, 2 failed runs, 2 failures" in out
    assert "test_sample::test_fails" in out
    assert f"cd {shlex.quote(str(ROOT))} && " in out
    assert "--randomly-seed=5" in out
    (order,) = logs.glob("parallel-1-seed-5-gw*.args")
    # pytest names it relative to its rootdir, which depends on where the checkout lives.
    assert f"{tests.name}::test_fails" in order.read_text()
    assert sorted(path.suffix for path in logs.glob("serial-*")) == [".log", ".xml"]
