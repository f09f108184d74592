"""The layout rules a reviewer would otherwise have to re-check by hand on every change.

- Nothing outside `tests/` imports from `tests/`: what tools share with the suite is `testkit/`.
- `testkit/` is importable without pytest, so the bench and tools/ can use it as a library.
- Routers never import routers: what two routes share is a query, a service or a dependency.
- The plugin (pytest-fastapi-db/) knows nothing of this backend, and its library modules (what
  the bench and tools/ import) are importable without pytest.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "pytest-fastapi-db/src/pytest_fastapi_db"
OUTSIDE_TESTS = ("backend", "testkit", "benchmarks", "tools", "noxfile.py", PLUGIN)
# The plugin's modules that hold fixtures and hooks; the others are a library.
PLUGIN_HOOKS = {"plugin", "fixtures", "aio_fixtures", "sync_fixtures", "aio", "network", "config",
                "doctor"}  # fmt: skip


def python_files(*names: str) -> list[Path]:
    files: list[Path] = []
    for name in names:
        path = ROOT / name
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (lazy imports inside functions included)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def top_level(module: str) -> str:
    return module.split(".")[0]


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


def router_modules() -> dict[str, Path]:
    """Modules of backend/api that define a `router`, by dotted name."""
    found = {}
    for path in python_files("backend/api"):
        tree = ast.parse(path.read_text())
        assigns_router = any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "router" for t in node.targets)
            for node in tree.body
        )
        if assigns_router:
            found["backend.api." + path.stem] = path
    return found


def test_the_router_check_sees_the_routers():
    """Guard for the check below: it must find routers, or it would pass vacuously."""
    assert {"backend.api.videos", "backend.api.games"} <= set(router_modules())


@pytest.mark.parametrize("name", sorted(router_modules()))
def test_routers_do_not_import_routers(name: str):
    routers = set(router_modules())
    path = router_modules()[name]
    imported = {m for m in imported_modules(path) if m in routers and m != name}
    # `from backend.api import videos` names the router as an alias, not as a module.
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "backend.api":
            imported |= {f"backend.api.{a.name}" for a in node.names} & routers
    assert imported == set()


def session_calls(path: Path) -> set[str]:
    """The methods `path` calls on something named `session` (`session.commit()`...)."""
    return {
        node.func.attr
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "session"
    }


def test_the_session_check_sees_session_calls():
    """Guard for the check below: the services do call the session, so it can see calls."""
    assert {"commit", "execute"} <= set().union(
        *map(session_calls, python_files("backend/services"))
    )


@pytest.mark.parametrize("path", python_files("backend/api"), ids=lambda path: path.name)
def test_routes_leave_queries_and_commits_to_the_services(path: Path):
    """backend/services/__init__.py's rule: the service function a route calls commits."""
    assert session_calls(path) == set()
