"""The boundaries around the suite a reviewer would otherwise re-check by hand on every change
(the app's own layout rules: tests/api/test_router_rules.py).

- Nothing outside `tests/` imports from `tests/`: what tools share with the suite is `testkit/`.
- `testkit/` is importable without pytest, so the bench and tools/ can use it as a library.
- The plugin (pytest-fastapi-db/) knows nothing of this backend, and its library modules (what
  the bench and tools/ import) are importable without pytest.
"""

from __future__ import annotations

import sys

from tests.helpers import imported_modules, python_files, top_level
from tools import ROOT

PLUGIN = "pytest-fastapi-db/src/pytest_fastapi_db"
OUTSIDE_TESTS = ("backend", "testkit", "benchmarks", "tools", "noxfile.py", PLUGIN)
# The plugin's modules that hold fixtures and hooks; the others are a library.
PLUGIN_HOOKS = {"plugin", "fixtures", "aio_fixtures", "sync_fixtures", "aio", "network", "config",
                "doctor"}  # fmt: skip


def test_nothing_outside_tests_imports_tests():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if top_level(m) == "tests"
        )
        for path in python_files(*OUTSIDE_TESTS)
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_testkit_does_not_need_pytest():
    needing = [
        str(path.relative_to(ROOT))
        for path in python_files("testkit")
        if {top_level(m) for m in imported_modules(path)} & {"pytest", "pytest_asyncio", "_pytest"}
    ]
    assert needing == []


def test_the_plugin_knows_nothing_of_this_backend():
    ours = {"backend", "testkit", "tests", "benchmarks", "tools"}
    found = {
        path.name: sorted(m for m in imported_modules(path) if top_level(m) in ours)
        for path in python_files(PLUGIN)
    }
    assert {name: modules for name, modules in found.items() if modules} == {}


def test_the_plugins_library_modules_do_not_need_pytest():
    library = [
        path
        for path in python_files(PLUGIN)
        if path.stem not in PLUGIN_HOOKS and path.parent.name != "warm"  # the warm runner runs it
    ]
    assert len(library) >= 8  # the check sees them
    needing = [
        path.name
        for path in library
        if {top_level(m) for m in imported_modules(path)} & {"pytest", "pytest_asyncio", "_pytest"}
    ]
    assert needing == []


def test_the_suite_imports_only_the_plugins_library_modules():
    """A conftest (or `-p tests.fixtures`) runs before pytest registers the plugin's fixture and
    hook modules: importing one first keeps pytest from rewriting its asserts (a warning, so an
    error here)."""
    hooks = {f"pytest_fastapi_db.{name}" for name in PLUGIN_HOOKS}
    found = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & hooks)
        for path in python_files("tests")
    }
    assert {path: modules for path, modules in found.items() if modules} == {}


def test_the_warm_client_needs_only_the_standard_library():
    """Its own start-up is part of every warm run's time: it imports neither pytest nor the app."""
    found = {
        path.name: sorted(
            module
            for module in imported_modules(path)
            if top_level(module) not in sys.stdlib_module_names
            and module != "pytest_fastapi_db.warm.protocol"
        )
        for path in python_files(f"{PLUGIN}/warm")
        if path.stem in ("client", "protocol")
    }
    assert len(found) == 2  # the check sees them
    assert {name: modules for name, modules in found.items() if modules} == {}
