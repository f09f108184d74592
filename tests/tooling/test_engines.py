"""The bench's engine dimension, on fabricated inputs: options, keys, table, comparison."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import compare, report
from benchmarks.cli import main, parser, plan_of
from benchmarks.core import Figure, engine_key, split_key
from benchmarks.db_counter import DatabaseCalls, round_trips
from benchmarks.figures import DEFINITIONS, FIGURES, KEYS, selected
from tests.tooling.fabricated import bench_result

BASELINE = Path(__file__).resolve().parents[2] / "benchmarks" / "baseline.json"


def figure(ratio: float | None = 10.0, **extra: Any) -> dict[str, Any]:
    return {
        "naive": 10.0,
        "optimized": 1.0,
        "ratio": ratio,
        "unit": "ms",
        "rounds": 1,
        "naive_rounds": 1,
        "how": "fabricated",
        "target": "none",
        "met": None,
        **extra,
    }


def result(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return bench_result(figures=figures)


class TestKeys:
    def test_sqlite_keeps_the_plain_name_and_other_engines_get_a_suffix(self):
        assert engine_key("per_test_ms", "sqlite") == "per_test_ms"
        assert engine_key("per_test_ms", "postgresql") == "per_test_ms@postgresql"

    @pytest.mark.parametrize(
        ("key", "parts"),
        [
            ("per_test_ms", ("per_test_ms", "sqlite")),
            ("per_test_ms@postgresql", ("per_test_ms", "postgresql")),
        ],
    )
    def test_a_key_splits_back_into_name_and_engine(self, key, parts):
        assert split_key(key) == parts
        assert engine_key(*parts) == key

    def test_an_unknown_engine_is_refused(self):
        with pytest.raises(ValueError, match="unknown engine 'mysql'"):
            engine_key("per_test_ms", "mysql")

    def test_every_figure_of_the_old_baseline_keeps_its_key(self):
        old = json.loads(BASELINE.read_text())["figures"]
        assert set(old) <= set(KEYS)

    def test_the_registry_has_one_entry_per_definition_and_engine(self):
        assert len(FIGURES) == sum(len(each.engines) for each in DEFINITIONS)
        assert len(set(KEYS)) == len(KEYS)
        for name in ("per_test_ms", "api_test_ms", "db_isolation_ms", "suite_parallel_s"):
            assert f"{name}@postgresql" in KEYS
        assert "server_start_s@postgresql" in KEYS
        assert "server_start_s" not in KEYS  # SQLite has no server to start


class TestEngineOption:
    def test_both_engines_by_default(self):
        assert parser().parse_args([]).engines == ["sqlite", "postgresql"]

    def test_a_list_is_parsed_and_deduplicated(self):
        options = parser().parse_args(["--engines", " postgresql,postgresql "])
        assert options.engines == ["postgresql"]

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("mysql", "--engines: unknown engine(s) mysql; choose from sqlite, postgresql"),
            (",", "--engines: unknown engine(s) (none given)"),
        ],
    )
    def test_a_bad_engine_is_a_clear_error(self, value, message, capsys):
        with pytest.raises(SystemExit) as exit_info:
            main(["--engines", value])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err

    def test_only_takes_names_and_keys(self):
        plan = plan_of(parser().parse_args(["--only", "per_test_ms,api_test_ms@postgresql"]))
        assert [entry.key for entry in selected(plan)] == [
            "api_test_ms@postgresql",
            "per_test_ms",
            "per_test_ms@postgresql",
        ]

    def test_engines_narrow_the_selection(self):
        argv = ["--engines", "postgresql", "--only", "db_isolation_ms,password_hash_us"]
        plan = plan_of(parser().parse_args(argv))
        assert [entry.key for entry in selected(plan)] == ["db_isolation_ms@postgresql"]

    def test_a_selection_with_nothing_to_measure_is_an_error(self, capsys):
        with pytest.raises(SystemExit):
            main(["--engines", "sqlite", "--only", "server_start_s"])
        assert "names no figure measured on --engines sqlite" in capsys.readouterr().err


class TestCompareWithAnOldBaseline:
    def test_new_engine_figures_are_listed_as_new_not_failed(self):
        current = result({"per_test_ms": figure(10.0), "per_test_ms@postgresql": figure(2.0)})
        baseline = result({"per_test_ms": figure(10.0)})
        outcome = compare.compare(current, baseline)
        assert outcome.ok
        assert outcome.new == ["per_test_ms@postgresql"]
        assert [each.figure for each in outcome.comparisons] == ["per_test_ms"]
        assert "`per_test_ms@postgresql`: new, not in the baseline" in compare.render(
            outcome, "old.json"
        )

    def test_the_command_exits_0_against_the_committed_baseline(self, tmp_path, capsys):
        old = json.loads(BASELINE.read_text())
        old["figures"]["per_test_ms@postgresql"] = figure(1.0)  # a ratio of 1: still new
        current = tmp_path / "now.json"
        current.write_text(json.dumps(old))
        assert main(["--current", str(current), "--compare", str(BASELINE)]) == 0
        assert "new, not in the baseline" in capsys.readouterr().out

    def test_the_baseline_compares_with_itself(self):
        assert main(["--current", str(BASELINE), "--compare", str(BASELINE)]) == 0


class TestTable:
    def test_engines_sit_side_by_side_one_row_each(self):
        text = report.markdown(
            result({"per_test_ms": figure(10.0), "per_test_ms@postgresql": figure(40.0)})
        )
        rows = [line for line in text.splitlines() if line.startswith("| `per_test_ms`")]
        assert [row.split(" | ")[1] for row in rows] == ["sqlite", "postgresql"]
        assert "| figure | engine | naive | optimized |" in text

    def test_a_figure_without_a_naive_way_shows_a_dash(self):
        summary = Figure("clone_ms@postgresql", "ms", "fabricated", "shown")
        summary.add("optimized", 12.0)
        text = report.markdown(result({summary.key: summary.summary()}))
        assert "| `clone_ms` | postgresql | - | 12.0 ms | - |" in text


class TestDatabaseCalls:
    def test_take_returns_the_calls_since_the_last_take(self):
        calls = DatabaseCalls()
        calls.count("statements")
        calls.count("statements")
        assert calls.take() == {"statements": 2}
        assert calls.take() == {}

    def test_round_trips_by_driver(self):
        assert round_trips({"aiosqlite_thread_calls": 48, "statements": 14}) == {
            "thread_hand_offs": 96
        }
        counts = {"asyncpg_executes": 13, "asyncpg_simple_queries": 2, "asyncpg_prepares": 1}
        assert round_trips(counts) == {"server_round_trips": 16}

    async def test_a_wrapped_driver_call_is_counted_and_still_returns(self):
        calls = DatabaseCalls()

        async def execute(value: int) -> int:
            return value * 2

        assert await calls.counting(execute, "driver_calls")(21) == 42
        assert calls.take() == {"driver_calls": 1}
