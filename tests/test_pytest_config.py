"""pytest.ini is strict and asyncio-only; proved on small suites run in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.mark.slow
def test_a_warning_fails_the_test(pytester: pytest.Pytester):
    pytester.makepyfile("import warnings\ndef test_warns(): warnings.warn(DeprecationWarning('x'))")
    run(pytester).assert_outcomes(failed=1)


@pytest.mark.slow
def test_async_tests_run_once_each_under_asyncio_only(pytester: pytest.Pytester):
    """Counting: a plain async test and an anyio-marked one each run exactly once, on asyncio."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        import asyncio
        import pytest
        RUNS = []

        async def test_plain():
            RUNS.append(type(asyncio.get_running_loop()).__module__)

        @pytest.mark.anyio
        async def test_anyio_marked():
            RUNS.append(type(asyncio.get_running_loop()).__module__)

        def test_count():
            assert sorted(RUNS) == ["asyncio.unix_events", "asyncio.unix_events"]
        """
    )
    result = run(pytester, "-v")
    result.assert_outcomes(passed=3)


@pytest.mark.slow
def test_an_override_set_by_one_test_is_gone_in_the_next(pytester: pytest.Pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        def marker():
            return "leaked"

        def test_first_sets_an_extra_override(app):
            app.dependency_overrides[marker] = lambda: "from the first test"

        def test_second_sees_only_its_own(app):
            assert marker not in app.dependency_overrides
            assert len(app.dependency_overrides) == 3
        """
    )
    run(pytester).assert_outcomes(passed=2)


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
