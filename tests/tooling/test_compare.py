"""The bench's regression check, on fabricated results (no timing happens in the suite)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import compare
from benchmarks.cli import main
from benchmarks.crossover import describe_crossover
from benchmarks.processes import slowest_imports


def result(**ratios: float | None) -> dict[str, Any]:
    """A bench result with the given ratios (the times themselves do not matter)."""
    return {
        "figures": {
            name: {"naive": 10.0, "optimized": 1.0, "ratio": ratio, "unit": "ms", "rounds": 3}
            for name, ratio in ratios.items()
        }
    }


def saved(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


class TestCompare:
    def test_a_ratio_worse_by_more_than_the_factor_is_a_regression(self):
        report = compare.compare(
            result(db_isolation_ms=30.0, per_test_ms=20.0),
            result(db_isolation_ms=80.0, per_test_ms=24.0),
        )
        assert [each.figure for each in report.regressions] == ["db_isolation_ms"]
        assert report.regressions[0].change == pytest.approx(80 / 30)
        assert not report.ok

    @pytest.mark.parametrize(
        ("baseline", "current", "regressed"),
        [
            (15.0, 10.0, False),  # exactly 1.5x worse: allowed
            (15.0, 9.9, True),
            (10.0, 40.0, False),  # better is never a regression
            (10.0, 10.0, False),
        ],
    )
    def test_the_factor_is_a_limit_on_the_worsening(self, baseline, current, regressed):
        report = compare.compare(result(figure=current), result(figure=baseline), factor=1.5)
        assert report.comparisons[0].regressed is regressed
        assert report.ok is not regressed

    def test_a_stricter_factor_flags_smaller_worsenings(self):
        current, baseline = result(figure=8.0), result(figure=10.0)
        assert compare.compare(current, baseline, factor=1.5).ok
        assert not compare.compare(current, baseline, factor=1.2).ok

    def test_absolute_times_do_not_matter_only_ratios(self):
        """A slower machine (every time 3x) with the same speed-ups passes."""
        baseline = result(figure=10.0)
        slower = {
            "figures": {"figure": {"naive": 30.0, "optimized": 3.0, "ratio": 10.0, "unit": "ms"}}
        }
        assert compare.compare(slower, baseline).ok

    def test_figures_missing_or_without_a_ratio_are_listed_not_failed(self):
        report = compare.compare(
            result(kept=10.0, unrated=None), result(kept=10.0, unrated=5.0, gone=3.0)
        )
        assert report.missing == ["gone"]
        assert report.unrated == ["unrated"]
        assert [each.figure for each in report.comparisons] == ["kept"]
        assert report.ok

    def test_a_factor_below_one_is_refused(self):
        with pytest.raises(ValueError, match="at least 1"):
            compare.compare(result(), result(), factor=0.9)

    def test_the_rendered_table_names_the_regressed_figure(self):
        report = compare.compare(result(a=10.0, b=1.0), result(a=10.0, b=5.0))
        text = compare.render(report, "baseline.json")
        assert "| `b` | 5.0x | 1.0x | 5.00x | REGRESSED |" in text
        assert "| `a` | 10.0x | 10.0x | 1.00x | ok |" in text
        assert "REGRESSION `b`" in text


class TestCommandLine:
    def test_compare_exits_1_naming_the_worsened_figure(self, tmp_path, capsys):
        current = saved(tmp_path, "now.json", result(api_test_ms=4.0, per_test_ms=20.0))
        baseline = saved(tmp_path, "base.json", result(api_test_ms=12.0, per_test_ms=20.0))

        assert main(["--current", str(current), "--compare", str(baseline)]) == 1
        captured = capsys.readouterr()
        assert "ratio regression in api_test_ms" in captured.err
        assert "per_test_ms" not in captured.err

    def test_compare_exits_0_when_no_ratio_worsened_too_much(self, tmp_path, capsys):
        current = saved(tmp_path, "now.json", result(api_test_ms=10.0))
        baseline = saved(tmp_path, "base.json", result(api_test_ms=12.0))
        assert main(["--current", str(current), "--compare", str(baseline)]) == 0
        assert "No figure's ratio worsened" in capsys.readouterr().out

    def test_the_factor_option_is_applied(self, tmp_path):
        current = saved(tmp_path, "now.json", result(api_test_ms=10.0))
        baseline = saved(tmp_path, "base.json", result(api_test_ms=12.0))
        argv = ["--current", str(current), "--compare", str(baseline), "--factor", "1.1"]
        assert main(argv) == 1

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["--rounds", "0"], "--rounds: must be at least 1"),
            (["--rounds", "two"], "--rounds: expected a whole number"),
            (["--factor", "0.5"], "--factor: must be at least 1"),
            (["--only", "nonsense_ms"], "unknown figure(s) nonsense_ms"),
            (["--compare", "no/such/file.json"], "no such file"),
            (["--no-such-option"], "unrecognized arguments"),
        ],
    )
    def test_bad_options_are_clear_errors(self, argv, message, capsys):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err

    def test_current_without_compare_is_an_error(self, tmp_path, capsys):
        current = saved(tmp_path, "now.json", result(a=1.0))
        with pytest.raises(SystemExit):
            main(["--current", str(current)])
        assert "--current needs --compare" in capsys.readouterr().err

    def test_a_file_that_is_no_bench_result_is_refused(self, tmp_path):
        current = saved(tmp_path, "now.json", {"something": "else"})
        with pytest.raises(SystemExit, match="not a bench result"):
            main(["--current", str(current), "--compare", str(current)])


class TestCrossover:
    def test_interpolates_where_parallel_starts_to_win(self):
        points = [
            {"tests": 100, "serial_s": 2.0, "parallel_s": 4.0},  # parallel 2 s behind
            {"tests": 300, "serial_s": 4.0, "parallel_s": 2.0},  # parallel 2 s ahead
        ]
        found = describe_crossover(points)
        assert (found["tests"], found["serial_s"]) == (200, 3.0)
        assert "from about 200 tests" in found["summary"]
        assert found["fit"]["crossover_tests"] == 200

    def test_says_so_when_parallel_never_wins(self):
        points = [
            {"tests": 100, "serial_s": 2.0, "parallel_s": 5.0},
            {"tests": 200, "serial_s": 3.0, "parallel_s": 5.5},
        ]
        found = describe_crossover(points)
        assert "tests" not in found
        assert "did not beat serial up to 200 tests" in found["summary"]


def test_slowest_imports_are_the_top_level_ones_by_cumulative_time():
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       100 |        100 |   nested.deep",
            "import time:      5000 |      90000 | sqlalchemy",
            "import time:       200 |       9000 | small",
            "import time:      1000 |     120000 | fastapi",
            "import time:       300 |     500000 |     very.nested",
            "import time:        50 |      30000 | pydantic",
        ]
    )
    assert [row["module"] for row in slowest_imports(stderr)] == [
        "fastapi",
        "sqlalchemy",
        "pydantic",
    ]
