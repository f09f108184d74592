"""The app's layout rules, read from its source a reviewer would otherwise re-check by hand:

- Routers never import routers: what two routes share is a query, a service or a dependency.
- Routes leave queries and commits to the services (backend/services/__init__.py's rule).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import imported_modules, python_files


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
