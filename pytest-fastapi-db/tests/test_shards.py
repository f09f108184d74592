"""CI slices partition the suite, each taken as CI takes it: its own process, its own seed.

pytest-split alone slices whatever order it is handed, and pytest-randomly hands it a different
shuffle in every process: four slices of the suite, each with its own seed, held duplicates and
lost tests, silently. pytest_fastapi_db/shards.py has pytest-split slice node-id order instead.
These tests prove the slices partition a suite (every test once, none twice, none lost) for 2 to 5
slices, and for pytest-split's default algorithm (the one that broke), each slice collected in
its own process (its own hash seed too) with a different shuffling seed; and that tests the
durations file does not know yet (new tests) still land in exactly one slice.

The suite sliced is a generated one shaped like ours (modules, classes, parametrized tests),
with a durations file: the slicing depends only on node ids and durations, and a child that
collects 120 generated tests starts in a fraction of the time a real suite's does.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from support import child_env

pytestmark = pytest.mark.slow
# Only the plugins slicing involves, as pytest.ini loads them for the real suite; the negative
# control leaves out ours.
WITHOUT_OURS = ["-p", "pytest_randomly", "-p", "pytest_split.plugin"]
PLUGINS = [*WITHOUT_OURS, "-p", "pytest_fastapi_db.shards"]
MODULE = """\
import pytest

{functions}

@pytest.mark.parametrize("n", range(4))
def test_parametrized(n):
    pass

class TestGrouped:
    def test_one(self):
        pass

    def test_two(self):
        pass
"""


def generated_suite(folder: Path, modules: int = 10) -> list[str]:
    """Modules of plain, parametrized and class tests in `folder`; their node ids."""
    nodeids = []
    for number in range(modules):
        name = f"test_module_{number}.py"
        functions = "\n".join(f"def test_{case}():\n    pass\n" for case in range(6))
        (folder / name).write_text(MODULE.format(functions=functions))
        nodeids += [f"{name}::test_{case}" for case in range(6)]
        nodeids += [f"{name}::test_parametrized[{n}]" for n in range(4)]
        nodeids += [f"{name}::TestGrouped::test_one", f"{name}::TestGrouped::test_two"]
    return nodeids


@pytest.fixture
def suite(tmp_path: Path) -> tuple[Path, list[str]]:
    """A generated suite and a durations file for every test of it (uneven, as real ones are)."""
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "pytest.ini").write_text("[pytest]\n")
    nodeids = generated_suite(folder)
    timings = random.Random(7)
    durations = {nodeid: round(timings.lognormvariate(-3, 1.5), 4) for nodeid in nodeids}
    (folder / "durations.json").write_text(json.dumps(durations))
    return folder, nodeids


def slices(folder: Path, splits: int, *args: str, plugins: list[str] = PLUGINS) -> list[list[str]]:
    """Each slice of `splits` in its own process with its own seed: node ids in run order."""

    def one(group: int) -> list[str]:
        seed = 1000 + 97 * splits + group  # a different shuffle in every process
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
             *plugins, f"--splits={splits}", f"--group={group}", f"--randomly-seed={seed}", *args],
            cwd=folder, env=child_env(folder.parent / "tmp", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        return [line for line in result.stdout.splitlines() if "::" in line]

    return [one(group) for group in range(1, splits + 1)]


def assert_partition(parts: list[list[str]], whole: list[str]) -> None:
    counts = Counter(nodeid for part in parts for nodeid in part)
    assert [nodeid for nodeid, n in counts.items() if n > 1] == [], "tests in two slices"
    assert sorted(set(whole) - set(counts)) == [], "tests in no slice"
    assert sorted(set(counts) - set(whole)) == [], "tests not in the suite"
    assert all(parts), "an empty slice"


@pytest.mark.parametrize(
    ("splits", "algorithm"),
    [
        # pytest.ini's algorithm, as CI slices
        *((splits, "least_duration") for splits in (2, 3, 4, 5)),
        # pytest-split's default, the one that broke: it cuts whatever order it is handed.
        (4, "duration_based_chunks"),
    ],
)
def test_slices_are_exactly_the_suite(suite, splits, algorithm):
    folder, nodeids = suite
    parts = slices(folder, splits, "--durations-path=durations.json",
                   f"--splitting-algorithm={algorithm}")  # fmt: skip
    assert_partition(parts, nodeids)
    # Shuffling stayed on: a slice runs in its seed's order, not the node-id order it was cut in.
    assert any(part != sorted(part) for part in parts)


def test_tests_missing_from_the_durations_still_land_in_one_slice(suite):
    folder, nodeids = suite
    known = json.loads((folder / "durations.json").read_text())
    # As after adding tests: a whole module and every third test of the rest are unknown.
    kept = {
        nodeid: seconds
        for position, (nodeid, seconds) in enumerate(sorted(known.items()))
        if position % 3 and not nodeid.startswith("test_module_0.py")
    }
    (folder / "partial.json").write_text(json.dumps(kept))
    assert len(set(nodeids) - set(kept)) > len(nodeids) // 4  # the check below is not vacuous
    assert_partition(slices(folder, 3, "--durations-path=partial.json"), nodeids)


def test_without_the_plugin_the_slices_do_not_partition(suite):
    """The check can fail: pytest-split alone cuts each process's shuffle differently."""
    folder, nodeids = suite
    parts = slices(folder, 4, "--durations-path=durations.json",
                   "--splitting-algorithm=duration_based_chunks", plugins=WITHOUT_OURS)  # fmt: skip
    with pytest.raises(AssertionError, match=r"tests in two slices|tests in no slice"):
        assert_partition(parts, nodeids)
