"""The bench's charts, failed-run flags and kept per-test times, on fabricated results.

Drawing needs matplotlib (the `bench` dependency group): those tests skip where it is not
installed (`nox -s fast`); what decides whether a chart can be drawn, and the messages when it
cannot, are checked everywhere.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import charts, report
from benchmarks.cli import main
from benchmarks.core import Bench, Figure, PytestRun
from benchmarks.figures import KEYS
from benchmarks.suite import SuiteRuns, per_test_distribution
from tests.tooling.fabricated import bench_result as result

POINTS = [
    {"tests": 67, "serial_s": 5.5, "parallel_s": 8.0},
    {"tests": 270, "serial_s": 8.6, "parallel_s": 9.2},
    {"tests": 541, "serial_s": 12.6, "parallel_s": 10.9},
]


def drawable() -> dict[str, Any]:
    return result(
        crossover={"engine": "sqlite", "points": POINTS, "tests": 344, "serial_s": 9.6},
        per_test_distribution={
            "sqlite": {"naive": [80.0, 111.0, 150.0], "optimized": [4.0, 10.5, 30.0]},
            "postgresql": {"naive": [90.0, 120.0], "optimized": [9.0, 11.0]},
        },
    )


def saved(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data))
    return path


def run(tests: list[tuple[str, float]]) -> PytestRun:
    timings = {"tests": [{"nodeid": n, "seconds": s, "outcome": "passed"} for n, s in tests]}
    return PytestRun(1.0, 0, Path("log"), timings)


class TestWhatCanBeDrawn:
    def test_a_result_with_both_parts_can_draw_both(self):
        assert charts.missing(drawable()) == []

    def test_an_old_result_says_what_each_chart_lacks(self):
        reasons = charts.missing(result())
        assert [reason.split(":")[0] for reason in reasons] == [charts.CROSSOVER, charts.PER_TEST]
        assert "per_test_distribution" in reasons[1]

    def test_malformed_parts_are_ignored_not_drawn(self):
        bad = result(
            crossover={"points": [{"tests": "many"}, "x"]},
            per_test_distribution={"sqlite": {"naive": [], "sideways": [1.0]}, "x": 3},
        )
        assert charts.crossover_points(bad) == []
        assert charts.distributions(bad) == {}

    def test_points_come_sorted_by_size(self):
        shuffled = result(crossover={"points": [POINTS[2], POINTS[0], POINTS[1]]})
        assert [point["tests"] for point in charts.crossover_points(shuffled)] == [67, 270, 541]


class TestRedrawCommand:
    def test_current_needs_compare_or_charts(self, tmp_path, capsys):
        with pytest.raises(SystemExit):
            main(["--current", str(saved(tmp_path, drawable()))])
        assert "--current needs --compare FILE" in capsys.readouterr().err

    def test_a_missing_file_is_a_clear_error(self, tmp_path, capsys):
        with pytest.raises(SystemExit):
            main(["--current", str(tmp_path / "nope.json"), "--charts"])
        assert "no such file" in capsys.readouterr().err

    def test_a_result_with_nothing_to_draw_says_why(self, tmp_path, capsys):
        code = main(["--current", str(saved(tmp_path, result())), "--charts"])
        assert code == 2
        err = capsys.readouterr().err
        assert "nothing to draw" in err
        assert "no crossover points" in err
        assert not list(tmp_path.glob("*.svg"))

    def test_without_matplotlib_the_message_names_the_bench_group(
        self, tmp_path, capsys, monkeypatch
    ):
        monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
        argv = ["--current", str(saved(tmp_path, drawable())), "--charts"]
        assert main([*argv, "--output", str(tmp_path / "charts")]) == 2
        assert "matplotlib is not installed" in capsys.readouterr().err


class TestDrawing:
    @pytest.fixture(autouse=True)
    def _matplotlib(self):
        pytest.importorskip("matplotlib")

    def test_both_charts_are_written_as_svg(self, tmp_path, capsys):
        out = tmp_path / "charts"
        argv = ["--current", str(saved(tmp_path, drawable())), "--charts", "--output", str(out)]
        assert main(argv) == 0
        for name in (charts.CROSSOVER, charts.PER_TEST):
            svg = (out / name).read_text()
            assert svg.lstrip().startswith("<?xml")
            assert "<svg" in svg
        assert "Charts of" in capsys.readouterr().out

    def test_redrawing_the_same_result_gives_the_same_file(self, tmp_path):
        data = drawable()
        first = charts.write_charts(data, tmp_path / "a").written
        second = charts.write_charts(data, tmp_path / "b").written
        assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]

    def test_one_chart_is_drawn_when_only_its_data_is_there(self, tmp_path):
        only = result(crossover={"engine": "sqlite", "points": POINTS})
        drawn = charts.write_charts(only, tmp_path)
        assert [path.name for path in drawn.written] == [charts.CROSSOVER]
        assert drawn.skipped[0].startswith(charts.PER_TEST)

    def test_a_single_point_draws_without_a_fit(self, tmp_path):
        single = result(crossover={"points": POINTS[-1:]})
        assert [p.name for p in charts.write_charts(single, tmp_path).written] == [charts.CROSSOVER]


class TestKeptPerTestTimes:
    def test_each_way_keeps_every_tests_median_in_ms_ascending(self):
        runs = SuiteRuns()
        runs.serial["optimized"] = [run([("a", 0.010), ("b", 0.002)]), run([("a", 0.012)])]
        runs.serial["naive"] = [run([("a", 0.1234567), ("b", 0.2)])]
        assert per_test_distribution(runs) == {"naive": [123.0, 200.0], "optimized": [2.0, 11.0]}

    def test_a_way_not_run_is_left_out(self):
        runs = SuiteRuns()
        runs.serial["optimized"] = [run([("a", 0.01)])]
        assert per_test_distribution(runs) == {"optimized": [10.0]}


class TestFailedRuns:
    def test_a_failing_pytest_run_is_recorded_naive_or_not(self, tmp_path):
        bench = Bench(tmp_path, lambda message: None)
        failing = tmp_path / "test_fails.py"
        failing.write_text("def test_no():\n    assert False\n")
        bench.pytest("fails", ["-q", "-p", "no:randomly", str(failing)], timed=False)
        assert len(bench.failures) == 1
        assert "fails (optimized): pytest exited 1" in bench.failures[0]

    def test_a_figure_from_a_failing_run_is_flagged_in_the_table(self):
        figure = Figure("per_test_ms", "ms", "fabricated", "none")
        figure.add("naive", 100.0)
        figure.add("optimized", 10.0)
        figure.failed_runs.append("suite-serial-naive (naive): 2 test(s) failed, pytest exited 1")
        data = result(figures={"per_test_ms": figure.summary()}, failed_runs=figure.failed_runs)
        text = report.markdown(data)
        assert "| **FAILED RUN** (1) |" in text
        assert "### Failed pytest runs" in text
        assert "timed on a failing run" in text

    def test_a_clean_result_has_no_flag(self):
        figure = Figure("per_test_ms", "ms", "fabricated", "none")
        figure.add("optimized", 10.0)
        assert "failed_runs" not in figure.summary()
        text = report.markdown(result(figures={"per_test_ms": figure.summary()}, failed_runs=[]))
        assert "FAILED" not in text


def test_the_per_request_figures_are_registered_on_both_engines():
    for name in ("request_health_ms", "request_users_me_ms"):
        assert name in KEYS
        assert f"{name}@postgresql" in KEYS
