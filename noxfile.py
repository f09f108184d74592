"""Developer workflows. `nox -l` lists them; plain `nox` runs `fast`.

Every session runs the same suite on the same fixture package (tests/fixtures/); they differ
only in how. Arguments after `--` go to pytest: `nox -s debug -- tests/api/test_auth.py -k login`.
"""

from __future__ import annotations

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["fast"]

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install(session: nox.Session, *groups: str) -> None:
    """The app's dependencies plus dependency groups, all from pyproject.toml (the only list).

    The app itself is not installed: pytest imports it from the checkout (`pythonpath = .`),
    which spares a package build on every run and keeps a reused environment starting fast.
    """
    requirements = list(PYPROJECT["project"]["dependencies"])
    for group in groups:
        requirements += nox.project.dependency_groups(PYPROJECT, group)
    session.install(*requirements)


@nox.session
def fast(session: nox.Session) -> None:
    """Whole suite except `slow` tests, serial, no coverage: the edit-run loop."""
    install(session, "test")
    session.run("pytest", "-q", "-m", "not slow", *session.posargs)


@nox.session
def parallel(session: nox.Session) -> None:
    """Whole suite across CPUs with pytest-xdist (up to 4 workers)."""
    install(session, "test")
    args = session.posargs or ["-q"]
    session.run("pytest", "-n", "auto", "--dist", "worksteal", "--maxprocesses=4", *args)


@nox.session
def debug(session: nox.Session) -> None:
    """Serial, verbose, no capture, long tracebacks with locals: for one failing test."""
    install(session, "test")
    args = session.posargs or ["--lf"]
    session.run(
        "pytest",
        "-vv",
        "-s",
        "--tb=long",
        "--showlocals",
        "-p",
        "no:randomly",
        "--timeout=0",
        *args,
    )


@nox.session
def ci(session: nox.Session) -> None:
    """Everything, in parallel, branch coverage (fail under 90%), coverage.xml and JUnit XML."""
    install(session, "coverage")
    session.run(
        "pytest",
        "-n",
        "auto",
        "--dist",
        "worksteal",
        "--maxprocesses=4",
        "--cov=backend",
        "--cov-branch",
        "--cov-report=term-missing:skip-covered",
        "--cov-report=xml:build/coverage.xml",
        "--cov-fail-under=90",
        "--junitxml=build/junit.xml",
        "--durations=10",
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting check."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
