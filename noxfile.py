"""Developer workflows. `nox -l` lists them; plain `nox` runs `fast`.

Every session runs the same suite on the same fixture package (tests/fixtures/); they differ
only in how. Arguments after `--` go to pytest: `nox -s debug -- tests/api/test_auth.py -k login`.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["fast"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
XDIST = ["-n", "auto", "--dist", "worksteal", "--maxprocesses=4"]
# What to measure and the floor (branch mode, 90%) live in pyproject.toml's [tool.coverage].
COVERAGE = ["--cov", "--cov-report=term-missing:skip-covered",
            "--cov-report=xml:build/coverage.xml"]  # fmt: skip


def install(session: nox.Session, *groups: str, extras: tuple[str, ...] = ()) -> None:
    """The app's dependencies, extras and dependency groups, all from pyproject.toml.

    The app itself is not installed: pytest imports it from the checkout (`pythonpath = .`),
    which spares a package build on every run and keeps a reused environment starting fast.
    """
    requirements = list(PYPROJECT["project"]["dependencies"])
    for extra in extras:
        requirements += PYPROJECT["project"]["optional-dependencies"][extra]
    for group in groups:
        requirements += nox.project.dependency_groups(PYPROJECT, group)
    session.install(*requirements)


@nox.session
def fast(session: nox.Session) -> None:
    """Whole suite except `slow` tests, serial, no coverage: the edit-run loop."""
    install(session, "test")
    session.run("pytest", "-q", "-m", "not slow", *session.posargs)
    session.log("Tests marked `slow` were left out (see 'deselected'); `nox -s ci` runs them.")


@nox.session
def parallel(session: nox.Session) -> None:
    """Whole suite across CPUs with pytest-xdist (up to 4 workers)."""
    install(session, "test")
    session.run("pytest", *XDIST, *(session.posargs or ["-q"]))


@nox.session
def debug(session: nox.Session) -> None:
    """Serial, verbose, no capture, long tracebacks with locals: for one failing test."""
    install(session, "test")
    session.run("pytest", "-vv", "-s", "--tb=long", "--showlocals", "-p", "no:randomly",
                "--timeout=0", *(session.posargs or ["--lf"]))  # fmt: skip


@nox.session
def postgres(session: nox.Session) -> None:
    """Whole suite on PostgreSQL, in parallel: a server of its own, or `-- --db-url=URL`."""
    install(session, "postgres", extras=("postgres",))
    session.run("pytest", *XDIST, "--db=postgresql", *(session.posargs or ["-q"]))


@nox.session
def ci(session: nox.Session) -> None:
    """All on SQLite, then on PostgreSQL what reaches the DB; one coverage (90%); typecheck."""
    install(session, "coverage", extras=("postgres",))
    session.run("pytest", *XDIST, "--db=sqlite", "--cov", "--cov-report=", "--cov-fail-under=0",
                "--junitxml=build/junit-sqlite.xml", *session.posargs)  # fmt: skip
    session.run("pytest", *XDIST, "--db=postgresql", "--database-tests-only", *COVERAGE,
                "--cov-append", "--junitxml=build/junit-postgresql.xml", "--durations=10",
                *session.posargs)  # fmt: skip
    session.notify("typecheck")


@nox.session
def bench(session: nox.Session) -> None:
    """Measure the speed-ups, naive vs optimized side by side (`-- --compare FILE`, `--help`)."""
    install(session, "bench", extras=("postgres",))
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def profile(session: nox.Session) -> None:
    """Profile a selection with pyinstrument; readable reports land in build/profile/."""
    install(session, "profile")
    out = Path("build/profile")
    out.mkdir(parents=True, exist_ok=True)
    raw = str(out / "profile.pyisession")
    selection = session.posargs or ["tests/api/test_auth.py"]
    pytest_args = ["-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    # Failing tests still get profiled: exit code 1 is not the profiler's failure.
    session.run(
        "pyinstrument", "-r", "session", "-o", raw, *pytest_args, *selection, success_codes=[0, 1]
    )
    session.run("pyinstrument", "--load", raw, "-r", "text", "-o", str(out / "profile.txt"))
    session.run("pyinstrument", "--load", raw, "-r", "html", "-o", str(out / "profile.html"))
    session.log(
        f"Profile of {' '.join(selection)}: {out / 'profile.txt'} (text, slowest call "
        f"paths first) and {out / 'profile.html'} (open in a browser)."
    )


@nox.session
def memory(session: nox.Session) -> None:
    """Memory allocated per test (pytest-memray): the 10 largest, for a selection or all."""
    install(session, "memory")
    session.run(
        "pytest", "-q", "-p", "no:randomly", "--memray", "--most-allocations=10", *session.posargs
    )


@nox.session
def changed(session: nox.Session) -> None:
    """Only the tests affected by the working tree's changes (pytest-testmon; first run: all)."""
    install(session, "changed")
    session.run("pytest", "-q", "--testmon", *session.posargs)


@nox.session
def stress(session: nox.Session) -> None:
    """Suite N times serial + N times on 4 workers, new random order each (`-- --runs 3`)."""
    install(session, "postgres", extras=("postgres",))  # as `ci` runs it: PostgreSQL's tests too
    session.run("python", "scripts/stress.py", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """schemathesis over every API operation, anonymous and logged in: no 500, as documented."""
    install(session, "fuzz")
    session.run("pytest", "tests/fuzz", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and formatting check), then the type check."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.notify("typecheck")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy: strict on backend/, testkit/ and the tooling, looser on tests (pyproject.toml)."""
    install(session, "typecheck")
    session.run("mypy", *session.posargs)
