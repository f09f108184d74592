"""The bench's charts, on fabricated results.

Drawing needs matplotlib (the `bench` dependency group): those tests skip where it is not
installed (`nox -s fast`); what decides whether a chart can be drawn, and the messages when it
cannot, are checked everywhere.
"""

from __future__ import annotations

import sys

import pyperf
import pytest

from benchmarks import charts
from benchmarks.cli import main
from benchmarks.suite import points
from tests.benchmarks.fabricated import bench_suite, crossover, saved

POINTS = {67: (5.5, 8.0), 270: (8.6, 9.2), 541: (12.6, 10.9)}


def drawable() -> pyperf.BenchmarkSuite:
    suite = bench_suite({"per_test_ms": ([0.08, 0.111, 0.15], [0.004, 0.0105, 0.03]),
                         "per_test_ms@postgresql": ([0.09, 0.12], [0.009, 0.011])})  # fmt: skip
    for benchmark in crossover(POINTS):
        suite.add_benchmark(benchmark)
    return suite


class TestWhatCanBeDrawn:
    def test_the_crossover_comes_from_its_benchmarks_sorted_by_size(self):
        engine, found = points(drawable())
        assert engine == "sqlite"
        assert list(found) == [67, 270, 541]
        assert found[541] == {"serial": 12.6, "parallel": 10.9}

    def test_per_test_times_are_every_value_of_per_test_ms_in_ms(self):
        assert charts.distributions(drawable())["postgresql"] == {
            "naive": pytest.approx([90.0, 120.0]), "optimized": pytest.approx([9.0, 11.0])
        }  # fmt: skip

    def test_a_result_with_nothing_to_draw_says_why(self, tmp_path, capsys):
        path = saved(tmp_path / "result.json", bench_suite({"clone_ms": ([], [0.01])}))
        assert main(["--current", str(path), "--charts", "--output", str(tmp_path)]) == 2
        assert "nothing to draw: no crossover points" in capsys.readouterr().err
        assert not list(tmp_path.glob("*.svg"))

    def test_without_matplotlib_the_message_names_the_bench_group(
        self, tmp_path, capsys, monkeypatch
    ):
        monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
        argv = ["--current", str(saved(tmp_path / "r.json", drawable())), "--charts"]
        assert main([*argv, "--output", str(tmp_path / "charts")]) == 2
        assert "matplotlib is not installed" in capsys.readouterr().err


class TestDrawing:
    @pytest.fixture(autouse=True)
    def _matplotlib(self):
        pytest.importorskip("matplotlib")

    def test_both_charts_are_written_as_svg(self, tmp_path, capsys):
        out = tmp_path / "charts"
        argv = ["--current", str(saved(tmp_path / "r.json", drawable())), "--charts"]
        assert main([*argv, "--output", str(out)]) == 0
        for name in (charts.CROSSOVER, charts.PER_TEST):
            assert "<svg" in (out / name).read_text()
        assert "Charts: " in capsys.readouterr().out

    def test_redrawing_the_same_result_gives_the_same_file(self, tmp_path):
        first = charts.write_charts(drawable(), tmp_path / "a")
        second = charts.write_charts(drawable(), tmp_path / "b")
        assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]

    def test_one_chart_is_drawn_when_only_its_data_is_there(self, tmp_path):
        only = pyperf.BenchmarkSuite(crossover(POINTS))
        assert [path.name for path in charts.write_charts(only, tmp_path)] == [charts.CROSSOVER]
