"""`nox -s shards` and the first half of `nox -s combine` (tools/shards.py), on files made here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import JUnitXml, TestCase, TestSuite

from tools.shards import main, slice_durations

DURATIONS = {f"tests/test_{name}.py::test": seconds for name, seconds in
             [("a", 4.0), ("b", 3.0), ("c", 2.0), ("d", 1.0)]}  # fmt: skip


@pytest.fixture
def durations(tmp_path):
    path = tmp_path / "durations.json"
    path.write_text(json.dumps(DURATIONS))
    return path


def test_slices_are_formed_as_pytest_split_forms_them():
    assert sorted(slice_durations(DURATIONS, 2, "least_duration")) == [5.0, 5.0]
    assert slice_durations(DURATIONS, 1, "least_duration") == [10.0]


def test_plan_prints_a_row_per_scale_and_shard_count(durations, capsys):
    plan = ["plan", "--durations", str(durations), "--fixed-cost", "6", "--shards", "1,2",
            "--scale", "1,3", "--job-overhead", "10", "--combine-cost", "20"]  # fmt: skip
    assert main(plan) == 0
    out = capsys.readouterr().out
    assert "4 tests, 10.0 s serial; per job: fixed 6.0 s + runner 10 s" in out
    # One shard: 10 + 6 + 10 s of tests; two: each slice 5 s, plus the combine job.
    assert "| x1 | 4 | 1 | 10.0 | 10.0 | 1.00 | 26 | 1.00x | 26 |" in out
    assert "| x1 | 4 | 2 | 5.0 | 5.0 | 1.00 | 41 | 0.63x | 62 |" in out
    assert "| x3 | 12 | 2 | 15.0 | 15.0 | 1.00 | 51 | 0.90x | 82 |" in out
    assert "splitting pays (wall) from about 40 s" in out


def test_plan_on_an_empty_durations_file_says_how_to_make_one(tmp_path):
    empty = tmp_path / "durations.json"
    empty.write_text("{}")
    with pytest.raises(SystemExit, match="has no durations: run `python -m nox -s durations`"):
        main(["plan", "--durations", str(empty), "--fixed-cost", "1"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--shards", "0"], "argument --shards: in '0': must be at least 1"),
        (["plan", "--workers", "none"], "argument --workers: expected a whole number"),
        (["plan", "--algorithm", "random"], "argument --algorithm: invalid choice"),
        (["merge"], "the following arguments are required: folder"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_options_stop_with_a_usage_message(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def write_slice(folder: Path, engine: str, group: int, splits: int, tests: int = 2) -> None:
    """A slice's files as `nox -s ci -- --splits` leaves them: JUnit and coverage data."""
    suite = TestSuite(f"pytest-{engine}-{group}")
    for number in range(tests):
        case = TestCase(f"test_{number}", classname=f"tests.test_{engine}_{group}")
        suite.add_testcase(case)
    suite.update_statistics()  # type: ignore[no-untyped-call]  # junitparser leaves it bare
    xml = JUnitXml()
    xml.add_testsuite(suite)
    xml.write(str(folder / f"junit-{engine}-{group}of{splits}.xml"))
    (folder / f".coverage.{engine}-{group}of{splits}.host.123").write_text("")


def test_merge_checks_every_slice_is_there_and_merges_the_junit_files(tmp_path, capsys):
    slices = tmp_path / "slices"
    slices.mkdir()
    for engine in ("sqlite", "postgresql"):
        for group in (1, 2):
            write_slice(slices, engine, group, 2, tests=group)
    merged = tmp_path / "out" / "junit.xml"
    assert main(["merge", str(slices), "--junit", str(merged)]) == 0
    out = capsys.readouterr().out
    assert "combine: sqlite: 2 of 2 slices found (coverage [1, 2], junit [1, 2])" in out
    assert "combine: postgresql: 2 of 2 slices found" in out
    assert JUnitXml.fromfile(str(merged)).tests == 6
    assert "JUnit of 4 suites" in out


def test_merge_refuses_an_incomplete_set_and_merges_nothing(tmp_path):
    write_slice(tmp_path, "sqlite", 1, 3)
    write_slice(tmp_path, "sqlite", 3, 3)
    (tmp_path / "junit-sqlite-3of3.xml").unlink()  # its coverage without its JUnit
    write_slice(tmp_path, "postgresql", 1, 2)
    write_slice(tmp_path, "postgresql", 1, 3)  # left from a run with another split
    merged = tmp_path / "junit.xml"
    with pytest.raises(SystemExit) as exit_info:
        main(["merge", str(tmp_path), "--junit", str(merged)])
    message = str(exit_info.value)
    assert "combine: incomplete, nothing merged" in message
    assert "sqlite: slice(s) [2, 3] of 3 missing" in message
    assert "postgresql: slices of different splits [2, 3] (stale files?)" in message
    assert not merged.exists()


def test_merge_of_a_folder_without_slices_says_how_to_make_them(tmp_path):
    with pytest.raises(SystemExit, match=r"no slices in .*--splits N --group I"):
        main(["merge", str(tmp_path / "missing")])
