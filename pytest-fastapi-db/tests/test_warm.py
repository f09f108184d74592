"""The warm runner (`pytest-warm`): which runs go cold, and warm runs whose output is a cold
run's, under a terminal, Ctrl-C and edits included (warm_support.py says how they run)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from pytest_fastapi_db.warm.client import cold_reason
from pytest_fastapi_db.warm.protocol import Place, WarmError
from pytest_fastapi_db.warm.staleness import Snapshot
from support import (
    CHILD_RUN_TEST_TIMEOUT,
)
from warm_support import (
    PASSING,
    SLEEPER,
    Project,
    normalized,
)

# Options: which runs go cold, and why (no process needed).


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["-n", "2"], "xdist"),
        (["-n2"], "xdist"),
        (["--numprocesses=auto"], "xdist"),
        (["--dist", "load"], "xdist"),
        (["--cov=app"], "coverage"),
        (["--no-cov"], "coverage"),
        (["-x", "--frobnicate"], "--frobnicate is not an option"),
        (["-xZ"], "-xZ is not an option"),
    ],
)
def test_runs_that_cannot_be_exact_go_cold(args: list[str], why: str) -> None:
    reason = cold_reason(args, {})
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize(
    "args",
    [
        ["tests/test_x.py::test_y", "-q"],
        ["-xvs", "-k", "not slow", "--tb=short"],
        ["-knot_slow", "-p", "no:randomly", "-rA"],
        ["-m", "-n", "--db", "postgresql"],  # -n here is -m's value
        ["--", "-n"],  # after --, arguments are not options
    ],
)
def test_known_options_stay_warm(args: list[str]) -> None:
    assert cold_reason(args, {}) is None


def test_ci_goes_cold() -> None:
    reason = cold_reason([], {"CI": "true"})
    assert reason is not None
    assert "CI" in reason
    assert cold_reason([], {"CI": "false"}) is None


def test_an_installed_package_makes_the_server_stale(tmp_path: Path) -> None:
    packages = tmp_path / "site-packages"
    packages.mkdir()
    snapshot = Snapshot({})
    snapshot.watch([str(packages)])
    assert snapshot.changed({}) is None
    (packages / "newdep-1.0.dist-info").mkdir()
    assert snapshot.changed({}) == f"{packages} changed"


def test_only_import_affecting_variables_make_the_server_stale(tmp_path: Path) -> None:
    snapshot = Snapshot.take(tmp_path, {"PYTHONPATH": "a", "HOME": "/root"})
    assert snapshot.changed({"PYTHONPATH": "a", "HOME": "/elsewhere", "NEW": "1"}) is None
    changed = snapshot.changed({"PYTHONPATH": "b", "TZ": "UTC"})
    assert changed == "the environment changed (PYTHONPATH, TZ)"


def test_a_socket_path_too_long_says_how_to_fix_it(tmp_path: Path) -> None:
    base = tmp_path / ("x" * 80) / "pytest-warm"
    base.parent.mkdir()
    place = Place(tmp_path, sys.executable, base)
    with pytest.raises(WarmError, match="set XDG_RUNTIME_DIR to a short directory"):
        place.make_base()


# Whole runs (each starts a server and several pytest processes).


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(PASSING, 0, id="pass"),
        pytest.param("def test_fails():\n    assert 1 + 1 == 3\n", 1, id="failure"),
        pytest.param("import nowhere_to_be_found\n", 2, id="collection-error"),
        pytest.param("def test_x():\n    pass\n", 4, id="usage-error"),
        pytest.param("def helper():\n    pass\n", 5, id="no-tests"),
        pytest.param(
            "import warnings\n\ndef test_warns():\n    warnings.warn(DeprecationWarning('old'))\n",
            1,
            id="warning-as-error",
        ),
        pytest.param(
            "import warnings\n\nimport pytest\n\n\n@pytest.mark.filterwarnings('default')\n"
            "def test_warns():\n    warnings.warn(UserWarning('shown in the summary'))\n",
            0,
            id="warnings-summary",
        ),
    ],
)
@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_warm_output_is_the_cold_output_under_a_terminal(
    project: Project, source: str, expected: int
) -> None:
    (project.root / "test_case.py").write_text(textwrap.dedent(source))
    args = ["test_case.py"] + (["--no-such-option"] if expected == 4 else [])
    project.warm_up("test_passes.py")
    cold_code, cold = project.terminal(*args, warm=False)
    warm_code, warm = project.terminal(*args)
    assert (warm_code, cold_code) == (expected, expected), (warm + cold).decode(errors="replace")
    if expected == 4:  # an unknown option goes cold, saying so first
        assert warm.startswith(b"pytest-warm: cold run: --no-such-option")
        warm = warm.split(b"\n", 1)[1]
    assert b"\x1b[" in cold  # pytest saw a terminal: colours
    assert normalized(warm) == normalized(cold)


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_ctrl_c_interrupts_a_warm_run_as_a_cold_one(project: Project, tmp_path: Path) -> None:
    (project.root / "test_sleeps.py").write_text(textwrap.dedent(SLEEPER))
    project.warm_up("test_passes.py")
    outputs = {}
    for warm in (False, True):
        started = tmp_path / f"started-{warm}"
        project.env["STARTED_FILE"] = str(started)
        code, output = project.terminal("test_sleeps.py", warm=warm, interrupt_when=started)
        assert code == 2, output.decode(errors="replace")
        outputs[warm] = normalized(output)
    assert b"KeyboardInterrupt" in outputs[True]
    assert outputs[True] == outputs[False]


EDITABLE_TEST = """
    from helpers import VALUE


    def test_values(value_fixture):
        print("values:", VALUE, value_fixture, "{test}")
"""


@pytest.mark.slow
@CHILD_RUN_TEST_TIMEOUT
def test_edits_between_warm_runs_are_seen(project: Project) -> None:
    """A test, a fixture (conftest.py) and a module imported with `from x import y`, each
    edited between two warm runs: the second prints the new values."""

    def write(test: str, fixture: str, value: str) -> None:
        (project.root / "test_edit.py").write_text(textwrap.dedent(EDITABLE_TEST.format(test=test)))
        (project.root / "conftest.py").write_text(
            f"import pytest\n\n@pytest.fixture\ndef value_fixture():\n    return {fixture!r}\n"
        )
        (project.root / "helpers.py").write_text(f"VALUE = {value!r}\n")

    write("test-1", "fixture-1", "module-1")
    project.warm_up("test_edit.py")
    first = project.run("-s", "test_edit.py")
    assert "values: module-1 fixture-1 test-1" in first.stdout, first.stdout + first.stderr
    write("test-2", "fixture-2", "module-2")
    second = project.run("-s", "test_edit.py")
    assert "cold run" not in second.stderr
    assert "values: module-2 fixture-2 test-2" in second.stdout, second.stdout + second.stderr
