"""The bench's figures, keys, options and tables, on fabricated results (no timing here)."""

from __future__ import annotations

import argparse

import pytest

from benchmarks.cli import main, parser
from benchmarks.core import DEFINITIONS, engine_key, split_key
from benchmarks.figures import BY_NAME, KEYS, selected
from benchmarks.plugin import COUNTS, counting, round_trips
from benchmarks.processes import slowest_imports
from benchmarks.report import markdown, readme_blocks, rows
from benchmarks.suite import describe_crossover
from tests.benchmarks.fabricated import bench_suite

# Every figure `nox -s bench` printed before it moved onto pyperf.
FIGURES = {
    "db_isolation_ms", "password_hash_us", "shared_data_ms", "single_test_s", "single_test_warm_s",
    "api_test_ms", "request_health_ms", "request_users_me_ms", "auth_module_s", "per_test_ms",
    "suite_serial_s", "suite_parallel_s", "collection_s", "server_start_s", "template_build_s",
    "clone_ms", "drop_ms",
}  # fmt: skip


def plan(*argv: str) -> argparse.Namespace:
    return parser().parse_args(argv)


class TestDefinitions:
    def test_every_figure_is_still_defined_once(self):
        assert set(BY_NAME) == FIGURES
        assert len(DEFINITIONS) == len(BY_NAME)

    def test_each_says_how_it_is_measured(self):
        assert all(len(definition.how) > 20 for definition in DEFINITIONS)

    def test_targets_are_stated_from_the_definition(self):
        by_name = {definition.name: definition for definition in DEFINITIONS}
        assert by_name["per_test_ms"].target("sqlite", 0.004, 25) == "<= 5 ms, >= 20x: met"
        assert by_name["per_test_ms"].target("sqlite", 0.004, 15) == "<= 5 ms, >= 20x: missed"
        warm = by_name["single_test_warm_s"]
        assert warm.target("postgresql", 0.3, 5) == "<= 0.35 s, >= 4x: met"
        assert warm.target("sqlite", 0.3, 5) == "<= 0.25 s, >= 4x: missed"
        assert by_name["clone_ms"].target("sqlite", 0.4) == "shown"

    def test_the_registry_has_one_key_per_definition_and_engine(self):
        assert len(KEYS) == len(set(KEYS)) == sum(len(d.engines) for d in DEFINITIONS)
        assert "server_start_s@postgresql" in KEYS
        assert "server_start_s" not in KEYS  # SQLite has no server to start
        assert "request_users_me_ms@postgresql" in KEYS


class TestKeys:
    @pytest.mark.parametrize(
        ("key", "parts"),
        [("per_test_ms", ("per_test_ms", "sqlite")),
         ("per_test_ms@postgresql", ("per_test_ms", "postgresql"))],
    )  # fmt: skip
    def test_a_key_splits_back_into_name_and_engine(self, key, parts):
        assert split_key(key) == parts
        assert engine_key(*parts) == key

    def test_an_unknown_engine_is_refused(self):
        with pytest.raises(ValueError, match="unknown engine 'mysql'"):
            engine_key("per_test_ms", "mysql")


class TestOptions:
    def test_both_engines_by_default(self):
        assert plan().engines == ("sqlite", "postgresql")

    def test_only_takes_names_and_keys(self):
        assert selected(plan("--only", "per_test_ms,api_test_ms@postgresql")) == [
            "api_test_ms@postgresql", "per_test_ms", "per_test_ms@postgresql"
        ]  # fmt: skip

    def test_engines_narrow_the_selection(self):
        chosen = plan("--engines", "postgresql", "--only", "db_isolation_ms,password_hash_us")
        assert selected(chosen) == ["db_isolation_ms@postgresql"]

    def test_a_bad_engine_is_a_clear_error(self, capsys):
        with pytest.raises(SystemExit):
            main(["--engines", "mysql"])
        assert "--engines: engines are among sqlite, postgresql" in capsys.readouterr().err

    def test_a_selection_with_nothing_to_measure_is_an_error(self, capsys):
        with pytest.raises(SystemExit):
            main(["--engines", "sqlite", "--only", "server_start_s"])
        assert "names no figure measured on --engines sqlite" in capsys.readouterr().err


class TestTable:
    def test_engines_sit_side_by_side_with_the_verdict(self):
        text = readme_blocks(bench_suite({"per_test_ms": ([0.1], [0.004]),
                                          "per_test_ms@postgresql": ([0.1], [0.01])}))  # fmt: skip
        lines = [line for line in text["engines"].splitlines() if "(`per_test_ms`)" in line]
        assert lines == [
            "| per test, median over the suite (`per_test_ms`) | sqlite | 100 ms | 4.00 ms "
            "| 25.0x | <= 5 ms, >= 20x: met |",
            "| per test, median over the suite (`per_test_ms`) | postgresql | 100 ms | 10.0 ms "
            "| 10.0x | <= 5 ms, >= 20x: missed |",
        ]

    def test_a_figure_without_a_naive_way_shows_a_dash(self):
        text = markdown(bench_suite({"clone_ms@postgresql": ([], [0.012])}))
        assert "| postgresql | - | 12.0 ms | - | shown |" in text

    def test_extras_are_shown_with_how_the_figure_is_measured(self):
        extras = {"api_test_ms": {"db_statements": 14, "failed_runs": "api-naive: exited 1"}}
        text = markdown(bench_suite({"api_test_ms": ([0.1], [0.01])}, extras))
        assert "- `api_test_ms`: In-process setup + call + teardown" in text
        assert "optimized 1 round(s), p90 10.0 ms, db_statements 14." in text
        assert text.endswith(
            "FAILED RUN (`api_test_ms` is not to be trusted): api-naive: exited 1\n"
        )

    def test_medians_are_pyperfs_over_every_round(self):
        [row] = rows(bench_suite({"api_test_ms": ([0.1, 0.3, 0.2], [0.01, 0.04])}))
        assert (row.median("naive"), row.median("optimized")) == pytest.approx((0.2, 0.025))
        assert (row.cell("naive"), row.cell("optimized")) == ("200 ms", "25.0 ms")

    def test_a_figure_from_a_failing_run_is_flagged(self):
        failed = {"per_test_ms": {"failed_runs": "suite-serial-naive (naive): pytest exited 1"}}
        text = markdown(bench_suite({"per_test_ms": ([0.1], [0.004])}, failed))
        assert "| <= 5 ms, >= 20x: **FAILED RUN** |" in text
        assert "FAILED RUN (`per_test_ms` is not to be trusted): suite-serial-naive" in text


class TestCrossover:
    def test_interpolates_where_parallel_starts_to_win(self):
        found = describe_crossover({100: {"serial": 2.0, "parallel": 4.0},
                                    300: {"serial": 4.0, "parallel": 2.0}})  # fmt: skip
        assert (found["tests"], found["serial_s"]) == (200, 3.0)
        assert found["fit"]["serial"] == pytest.approx((1.0, 0.01))
        assert "from about 200 tests" in found["summary"]

    def test_says_so_when_parallel_never_wins(self):
        found = describe_crossover({100: {"serial": 2.0, "parallel": 5.0},
                                    200: {"serial": 3.0, "parallel": 5.5}})  # fmt: skip
        assert "tests" not in found
        assert found["summary"] == "serial was faster at every size measured (100, 200 tests)"


class TestDatabaseCalls:
    def test_round_trips_by_driver(self):
        assert round_trips({"aiosqlite_thread_calls": 48, "statements": 14}) == {
            "thread_hand_offs": 96
        }
        counts = {"asyncpg_executes": 13, "asyncpg_simple_queries": 2, "asyncpg_prepares": 1}
        assert round_trips(counts) == {"server_round_trips": 16}

    async def test_a_wrapped_driver_call_is_counted_and_still_returns(self):
        async def execute(value: int) -> int:
            return value * 2

        COUNTS.clear()
        assert await counting(execute, "driver_calls")(21) == 42
        assert COUNTS == {"driver_calls": 1}
        COUNTS.clear()


def test_slowest_imports_are_the_top_level_ones_by_cumulative_time():
    stderr = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       100 |        100 |   nested.deep",
        "import time:      5000 |      90000 | sqlalchemy",
        "import time:       200 |       9000 | small",
        "import time:      1000 |     120000 | fastapi",
        "import time:       300 |     500000 |     very.nested",
        "import time:        50 |      30000 | pydantic",
    ])  # fmt: skip
    assert slowest_imports(stderr) == "fastapi 120 ms, sqlalchemy 90 ms, pydantic 30 ms"
