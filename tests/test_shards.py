"""CI slices are exactly the suite, each taken as CI takes it: its own process, its own seed.

pytest-split alone slices whatever order it is handed, and pytest-randomly hands it a different
shuffle in every process: four slices of the suite, each with its own seed, held duplicates and
lost tests, silently. testkit/shards.py has pytest-split slice node-id order instead. These
tests prove the slices partition the suite (every test once, none twice, none lost) for 2 to 5
slices, and for pytest-split's default algorithm (the one that broke), each slice collected in
its own process with a different seed and shuffling on; and that tests the durations file does
not know yet (new tests) still land in exactly one slice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.child_runs import ROOT, child_env

DURATIONS = ROOT / ".test_durations"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def collect(tmp_path: Path, *args: str) -> list[str]:
    """Node ids `--collect-only` selects in a child run of the suite, in the order it would run."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT, env=child_env(tmp_path / "tmp"), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return [line for line in result.stdout.splitlines() if "::" in line]


def slices(tmp_path: Path, splits: int, durations: Path, *args: str) -> list[list[str]]:
    """Each slice of `splits` in its own process, each with its own seed, one after the other.

    Not concurrently: the suite's timing-sensitive child runs (tests/test_reliability.py) share
    the machine with this test under xdist, and two collections at once starved them.
    """

    def one(group: int) -> list[str]:
        seed = 1000 + 97 * splits + group  # a different shuffle in every process
        return collect(tmp_path / f"g{group}", f"--splits={splits}", f"--group={group}",
                       f"--durations-path={durations}", f"--randomly-seed={seed}",
                       *args)  # fmt: skip

    return [one(group) for group in range(1, splits + 1)]


@pytest.fixture(scope="module")
def whole_suite(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return collect(tmp_path_factory.mktemp("whole"))


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
        *(pytest.param(splits, [], id=f"{splits}-least_duration") for splits in (2, 3, 4, 5)),
        # pytest-split's default, the one that broke: it cuts whatever order it is handed.
        pytest.param(4, ["--splitting-algorithm=duration_based_chunks"], id="4-chunks"),
    ],
)
def test_slices_are_exactly_the_suite(tmp_path, whole_suite, splits, algorithm):
    parts = slices(tmp_path, splits, DURATIONS, *algorithm)
    assert_partition(parts, whole_suite)
    # Shuffling stayed on: a slice runs in its seed's order, not the node-id order it was cut in.
    assert any(part != sorted(part) for part in parts)


def test_tests_missing_from_the_durations_still_land_in_one_slice(tmp_path, whole_suite):
    known = json.loads(DURATIONS.read_text())
    # As after adding tests: this module and every third test of the rest are unknown.
    kept = {
        nodeid: seconds
        for position, (nodeid, seconds) in enumerate(sorted(known.items()))
        if position % 3 and not nodeid.startswith("tests/test_shards.py")
    }
    partial = tmp_path / "durations.json"
    partial.write_text(json.dumps(kept))
    unknown = set(whole_suite) - set(kept)
    assert len(unknown) > len(whole_suite) // 4  # the check below is not vacuous
    parts = slices(tmp_path, 3, partial)
    assert_partition(parts, whole_suite)
