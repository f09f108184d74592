"""pytest.ini is strict and asyncio-only; proved on small suites run in a subprocess."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

import pytest

from tests.child_runs import child_env, run_captured
from tools import ROOT

CONFTEST = (ROOT / "tests" / "conftest.py").read_text()


def project_ini(extra: str = "") -> str:
    """The project's pytest.ini, importing the backend from this checkout, plus `extra`."""
    ini = (ROOT / "pytest.ini").read_text()
    ini = ini.replace("pythonpath = .", f"pythonpath = {ROOT}").replace("testpaths = tests\n", "")
    return ini + extra


def run(pytester: pytest.Pytester, *args: str, extra_ini: str = "") -> pytest.RunResult:
    pytester.makefile(".ini", pytest=project_ini(extra_ini))
    return pytester.runpytest_subprocess("-p", "no:randomly", *args)


@pytest.mark.slow
def test_an_unknown_ini_key_fails_the_run(pytester: pytest.Pytester):
    pytester.makepyfile("def test_ok(): pass")
    result = run(pytester, extra_ini="parallel_addopts = -n 2\n")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*Unknown config option: parallel_addopts*"])


@pytest.mark.slow
def test_an_unregistered_marker_fails_the_run(pytester: pytest.Pytester):
    pytester.makepyfile("import pytest\n@pytest.mark.quick\ndef test_ok(): pass")
    result = run(pytester)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*'quick' not found in `markers` configuration option*"])


# One child run of the project's configuration and fixture package answers the questions below
# that a passing run can answer together (a child pays a whole pytest start-up; a run that
# fails at configuration, like the two above, needs one of its own). Kept in file order.
QUESTIONS = """
import asyncio
import warnings

import pytest

RUNS = []


def test_warns():
    warnings.warn(DeprecationWarning("x"))


async def test_plain():
    RUNS.append(type(asyncio.get_running_loop()).__module__)


@pytest.mark.anyio
async def test_anyio_marked():
    RUNS.append(type(asyncio.get_running_loop()).__module__)


def test_count():
    assert sorted(RUNS) == ["asyncio.unix_events", "asyncio.unix_events"]


def marker():
    return "leaked"


def test_first_sets_an_extra_override(app):
    app.dependency_overrides[marker] = lambda: "from the first test"


def test_second_sees_only_its_own(app):
    assert marker not in app.dependency_overrides
    assert len(app.dependency_overrides) == 3


async def test_forgets_an_await(client):
    client.get("/health")
"""


@dataclass
class ChildRun:
    """What each test of QUESTIONS came to: outcome and failure text, by test name."""

    outcomes: dict[str, str]
    failures: dict[str, str]
    output: str


@pytest.fixture(scope="module")
def child_run(tmp_path_factory: pytest.TempPathFactory) -> ChildRun:
    """QUESTIONS run once in a child with the project's pytest.ini and conftest, unshuffled."""
    folder = tmp_path_factory.mktemp("questions")
    (folder / "pytest.ini").write_text(project_ini())
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "test_questions.py").write_text(QUESTIONS)
    result = run_captured(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider",
         "--junitxml=junit.xml", "-rA"],
        child_env(folder / "tmp"), cwd=folder,
    )  # fmt: skip
    outcomes, failures = {}, {}
    for case in ElementTree.parse(folder / "junit.xml").getroot().iter("testcase"):
        failure = case.find("failure")
        outcomes[case.get("name", "")] = "failed" if failure is not None else "passed"
        if failure is not None:
            failures[case.get("name", "")] = failure.get("message", "") + (failure.text or "")
    return ChildRun(outcomes, failures, result.stdout + result.stderr)


@pytest.mark.slow
def test_a_warning_fails_the_test(child_run: ChildRun):
    assert child_run.outcomes["test_warns"] == "failed"
    assert "DeprecationWarning" in child_run.failures["test_warns"]


@pytest.mark.slow
def test_async_tests_run_once_each_under_asyncio_only(child_run: ChildRun):
    """Counting: a plain async test and an anyio-marked one each run exactly once, on asyncio."""
    ran = {name: outcome for name, outcome in child_run.outcomes.items() if "anyio" in name}
    assert ran == {"test_anyio_marked": "passed"}  # not once per async backend
    assert child_run.outcomes["test_plain"] == "passed"
    assert child_run.outcomes["test_count"] == "passed"


@pytest.mark.slow
def test_an_override_set_by_one_test_is_gone_in_the_next(child_run: ChildRun):
    assert child_run.outcomes["test_first_sets_an_extra_override"] == "passed"
    assert child_run.outcomes["test_second_sees_only_its_own"] == "passed"


@pytest.mark.slow
def test_a_forgotten_await_fails_naming_the_coroutine_and_the_line(child_run: ChildRun):
    """Not 120 lines through CPython and pytest internals: what, where, and nothing else."""
    failure = child_run.failures["test_forgets_an_await"]
    line = QUESTIONS.splitlines().index('    client.get("/health")') + 1
    assert f"test_questions.py:{line}: `AsyncClient.get(...)` was never awaited" in failure
    assert "forgot an `await`" in failure
    assert "PytestUnraisableExceptionWarning" not in child_run.output
    assert len(failure.splitlines()) <= 3


async def test_no_async_test_is_parametrized_by_backend(request: pytest.FixtureRequest):
    """In this very run, no async test was multiplied per async backend."""
    # pytest-asyncio (auto mode) marks every async test it runs.
    async_items = [item for item in request.session.items if item.get_closest_marker("asyncio")]
    assert request.node in async_items  # this test counts itself
    multiplied = [
        item.nodeid
        for item in async_items
        if "anyio_backend" in getattr(getattr(item, "callspec", None), "params", {})
    ]
    assert multiplied == []


@pytest.mark.parametrize(
    ("tests", "said"),
    [
        ("import pytest\n@pytest.mark.slow\ndef test_slow(): pass\ndef test_quick(): pass", True),
        ("def test_quick(): pass", False),
    ],
    ids=["one-slow", "none-slow"],
)
def test_a_run_says_it_left_slow_tests_out_only_when_it_did(pytester, tests, said):
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow")
    pytester.makepyfile(tests)
    result = pytester.runpytest_inprocess(
        "-p", "tests.fixtures.reporting", "-p", "no:asyncio", "-m", "not slow"
    )
    result.assert_outcomes(passed=1)
    message = "1 test(s) marked `slow` were left out; `python -m nox -s ci` runs them."
    assert (message in result.stdout.str()) is said
