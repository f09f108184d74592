"""`--compare` on fabricated results: ratios decide, pyperf compares the times."""

from __future__ import annotations

import pyperf
import pytest

from benchmarks import report
from benchmarks.cli import main
from tests.benchmarks.fabricated import bench_suite, ratios, saved


def regressed(
    current: pyperf.BenchmarkSuite, baseline: pyperf.BenchmarkSuite, factor: float = 1.5
) -> list[str]:
    return report.compare(current, baseline, factor)[1]


class TestRatios:
    def test_a_ratio_worse_by_more_than_the_factor_is_a_regression(self):
        current = ratios(db_isolation_ms=30.0, per_test_ms=20.0)
        assert regressed(current, ratios(db_isolation_ms=80.0, per_test_ms=24.0)) == [
            "db_isolation_ms"
        ]

    @pytest.mark.parametrize(
        ("baseline", "current", "worse"),
        [
            (15.0, 10.0, False),  # exactly 1.5x worse: allowed
            (15.0, 9.9, True),
            (10.0, 40.0, False),  # better is never a regression
            (10.0, 10.0, False),
        ],
    )
    def test_the_factor_is_a_limit_on_the_worsening(self, baseline, current, worse):
        found = regressed(ratios(api_test_ms=current), ratios(api_test_ms=baseline), 1.5)
        assert found == (["api_test_ms"] if worse else [])

    def test_absolute_times_do_not_matter_only_ratios(self):
        """A machine 3x slower with the same speed-ups passes."""
        slower = bench_suite({"api_test_ms": ([0.3], [0.03])})
        assert not regressed(slower, ratios(api_test_ms=10.0))

    def test_figures_missing_new_or_without_a_ratio_are_listed_not_failed(self):
        shown: dict[str, tuple[list[float], list[float]]] = {
            "server_start_s@postgresql": ([], [0.9])
        }
        current = bench_suite({"api_test_ms": ([0.1], [0.01]), "clone_ms": ([], [0.01]),
                               "per_test_ms@postgresql": ([0.1], [0.01])} | shown)  # fmt: skip
        baseline = bench_suite({"api_test_ms": ([0.1], [0.01]), "clone_ms": ([0.1], [0.01]),
                                "drop_ms": ([0.1], [0.01])} | shown)  # fmt: skip
        lines, found = report.compare(current, baseline, 1.5)
        assert found == []
        assert [line for line in lines if line.startswith("- ")] == [
            "- `drop_ms`: not measured now",
            "- `per_test_ms@postgresql`: new, not in the baseline",
            "- `clone_ms`: no ratio on one side",
        ]
        assert [line for line in lines if line.startswith("| `")] == [
            "| `api_test_ms` | 10.0x | 10.0x | 1.00x | ok |"
        ]

    def test_the_rendered_table_names_the_regressed_figure(self):
        lines, _ = report.compare(ratios(api_test_ms=10.0, per_test_ms=1.0),
                                   ratios(api_test_ms=10.0, per_test_ms=5.0), 1.5)  # fmt: skip
        assert "| `per_test_ms` | 5.00x | 1.00x | 5.00x | REGRESSED |" in lines
        assert "| `api_test_ms` | 10.0x | 10.0x | 1.00x | ok |" in lines
        assert lines[-1] == "REGRESSION in per_test_ms"


class TestCommandLine:
    def test_compare_exits_1_naming_the_worsened_figure(self, tmp_path, capsys):
        current = saved(tmp_path / "now.json", ratios(api_test_ms=4.0, per_test_ms=20.0))
        baseline = saved(tmp_path / "base.json", ratios(api_test_ms=12.0, per_test_ms=20.0))
        assert main(["--current", str(current), "--compare", str(baseline)]) == 1
        captured = capsys.readouterr()
        assert "ratio regression in api_test_ms" in captured.err
        assert "per_test_ms" not in captured.err

    def test_compare_exits_0_and_shows_pyperfs_comparison_of_the_times(self, tmp_path, capsys):
        current = saved(
            tmp_path / "now.json", bench_suite({"api_test_ms": ([0.2] * 3, [0.02] * 3)})
        )
        baseline = saved(
            tmp_path / "base.json", bench_suite({"api_test_ms": ([0.1] * 3, [0.01] * 3)})
        )
        assert main(["--current", str(current), "--compare", str(baseline)]) == 0
        out = capsys.readouterr().out
        assert "No ratio worsened too much." in out
        assert "Times compared by pyperf" in out
        assert "2.00x slower" in out  # pyperf's compare_to: twice the time on both ways

    def test_the_factor_option_is_applied(self, tmp_path):
        current = saved(tmp_path / "now.json", ratios(api_test_ms=10.0))
        baseline = saved(tmp_path / "base.json", ratios(api_test_ms=12.0))
        argv = ["--current", str(current), "--compare", str(baseline)]
        assert main(argv) == 0
        assert main([*argv, "--factor", "1.1"]) == 1

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["--rounds", "0"], "--rounds: must be at least 1"),
            (["--rounds", "two"], "--rounds: expected a whole number"),
            (["--factor", "0.5"], "--factor: must be at least 1"),
            (["--only", "nonsense_ms"], "--only: figures are among"),
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
        current = saved(tmp_path / "now.json", ratios(api_test_ms=1.0))
        with pytest.raises(SystemExit):
            main(["--current", str(current)])
        assert "--current needs --compare" in capsys.readouterr().err

    def test_a_file_that_is_no_bench_result_is_refused(self, tmp_path):
        current = tmp_path / "now.json"
        current.write_text('{"something": "else"}')
        with pytest.raises(SystemExit, match="not a bench result"):
            main(["--current", str(current), "--compare", str(current)])
