"""Developer workflows. `nox -l` lists them; plain `nox` runs `fast`.

Every session runs the same suite on the same fixtures (tests/fixtures/, on the pytest-fastapi-db
plugin in pytest-fastapi-db/); they differ only in how. `ci`, `tests`, `lowest` and `newest` also
run the plugin's own tests (pytest-fastapi-db/tests). Arguments after `--` go to pytest:
`nox -s debug -- tests/api/test_auth.py -k login`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nox

# The tooling package beside this file (as `python -m nox` from elsewhere would not find it).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tools.ci import DURATIONS, ENGINES, SLICES, XDIST, engine_args, parse_ci_args, pytest_runs
from tools.pythons import interpreter

nox.needs_version = ">=2025.2.9"
# Every session installs from uv.lock with uv (README, "Installing"); without uv, nox falls back
# to virtualenv only for `require_uv` to say what to install.
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["fast"]

# The Pythons the project supports and tests, oldest first (pyproject.toml's requires-python and
# classifiers; the CI workflow runs each).
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
# The plugin's folder: its own tests, and its coverage settings in its pyproject.toml.
PLUGIN = "pytest-fastapi-db"
PLUGIN_COVERAGE = f"--rcfile={PLUGIN}/pyproject.toml"
# What the whole suite runs with beyond the app, each an extra and a dependency group of the
# same name: PostgreSQL (driver, embedded server) and the Whisper engine (and what builds the
# tiny model its `real_services` tests run on). `ci`, `tests`, `durations`, `stress` install
# them from the lock; `lowest` and `newest` resolve them.
SUITE = ("postgres", "whisper")
WORKFLOW = ".github/workflows/ci.yml"


def require_uv(session: nox.Session) -> None:
    """Stop with one line when uv is missing: nox then made a virtualenv, which cannot sync."""
    if session.venv_backend != "uv":
        session.error("uv is missing: `python -m pip install uv` (sessions install uv.lock)")


def install(session: nox.Session, *groups: str, extras: tuple[str, ...] = ()) -> None:
    """The app's dependencies, extras and dependency groups, exactly as uv.lock pins them.

    `uv sync --locked` into the session's environment: the same versions on every machine and
    every day, nothing else left in it, and a stale lock stops the session with one line. The
    app itself is not installed: pytest imports it from the checkout (`pythonpath = .`), which
    spares a package build on every run and keeps a reused environment starting fast. Packages
    are compiled to bytecode as they install (pip does that by default, uv only when asked):
    where PYTHONDONTWRITEBYTECODE is set, as on this project's machine, nothing else ever
    writes a .pyc, and every process (each child run of the suite too) would compile some 800
    modules from source at every start.
    """
    require_uv(session)
    # --quiet: uv prints nothing unless the lock is stale (exit 1); any other failure is its own.
    stale = session.run_install("uv", "lock", "--check", "--quiet", silent=True,
                                success_codes=[0, 1])  # fmt: skip
    if stale:
        session.error("uv.lock does not match pyproject.toml: run `python -m nox -s lock`, "
                      "then commit uv.lock")  # fmt: skip
    session.run_install("uv", "sync", "--locked", "--no-install-project", "--no-default-groups",
                        "--compile-bytecode", *(f"--group={group}" for group in groups),
                        *(f"--extra={extra}" for extra in extras),
                        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location})  # fmt: skip


def install_resolved(session: nox.Session, resolution: str) -> None:
    """What `ci` tests (the app and SUITE), resolved from pyproject.toml's bounds now, not from
    uv.lock: `lowest-direct` takes each direct dependency at its lower bound, `highest` the
    newest the registry has. The resolution is printed, kept beside the environment, then
    synced into it exactly."""
    require_uv(session)
    pins = Path(session.virtualenv.location) / f"{resolution}.txt"
    # The plugin's pyproject.toml too: its bounds are direct ones, taken at their lowest as well.
    session.run_install("uv", "pip", "compile", "pyproject.toml", f"{PLUGIN}/pyproject.toml",
                        *(f"--extra={name}" for name in SUITE),
                        *(f"--group={name}" for name in SUITE), f"--resolution={resolution}",
                        "--upgrade", "--no-header", "--output-file", str(pins))  # fmt: skip
    session.run_install("uv", "pip", "sync", "--compile-bytecode", str(pins))


def both_engines(session: nox.Session) -> None:
    """The whole suite in parallel on SQLite, then on PostgreSQL, then the plugin's own tests:
    `ci` without coverage."""
    for engine in ENGINES:
        session.run("pytest", *XDIST, *engine_args(engine), "-q", *session.posargs)
    session.run("pytest", f"{PLUGIN}/tests", *XDIST, "-q")


def plugin_coverage(session: nox.Session) -> None:
    """The plugin's own tests under coverage of `pytest_fastapi_db` (branch, 90% floor).

    `coverage run`, not pytest-cov: pytest imports an installed plugin before pytest-cov starts
    measuring, which would count every definition line as missed. Its `patch` setting measures
    the xdist workers and child runs too, and the warm runner's exec'd and forked processes.
    """
    session.run("coverage", "erase", PLUGIN_COVERAGE)
    session.run("coverage", "run", PLUGIN_COVERAGE, "-m", "pytest", f"{PLUGIN}/tests", *XDIST,
                "-q", f"--junitxml=build/junit-{PLUGIN}.xml")  # fmt: skip
    session.run("coverage", "combine", "-q", PLUGIN_COVERAGE)
    session.run("coverage", "report", PLUGIN_COVERAGE)


@nox.session
def fast(session: nox.Session) -> None:
    """Whole suite except `slow` tests, serial, no coverage: the edit-run loop."""
    install(session, "test")
    session.run("pytest", "-q", "-m", "not slow", *session.posargs)  # says if it left any out


@nox.session
@nox.parametrize("python", [interpreter(version) for version in PYTHONS], ids=list(PYTHONS))
def tests(session: nox.Session) -> None:
    """`ci` without coverage, on each supported Python (one of them: `-s "tests(3.12)"`)."""
    install(session, *SUITE, extras=SUITE)
    both_engines(session)


@nox.session(python=interpreter(PYTHONS[0]))
def lowest(session: nox.Session) -> None:
    """`tests` at the lowest versions pyproject.toml allows, on the oldest Python (not the lock)."""
    install_resolved(session, "lowest-direct")
    both_engines(session)


@nox.session
def newest(session: nox.Session) -> None:
    """`tests` at the newest versions released (not the lock), on the Python running nox."""
    install_resolved(session, "highest")
    both_engines(session)


@nox.session
def parallel(session: nox.Session) -> None:
    """Whole suite across CPUs with pytest-xdist (up to 4 workers)."""
    install(session, "test")
    session.run("pytest", *XDIST, "-q", *session.posargs)


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
    session.run("pytest", *XDIST, "--db=postgresql", "-q", *session.posargs)


@nox.session
def ci(session: nox.Session) -> None:
    """All on SQLite, then on PostgreSQL what reaches the DB; one coverage (90%); the plugin's
    own tests with its coverage (90%); `example`; typecheck.

    With the `whisper` extra: the `real_services` tests run the real engine (a tiny model made
    offline, tests/fixtures/whisper.py).

    `-- --splits N --group I` runs slice I of N (pytest-split, balanced by DURATIONS) and
    `--engine sqlite|postgresql` one engine (default both): one job of a CI matrix, each slice
    leaving coverage data and a JUnit file named for it, no floor; `nox -s combine` merges them
    and applies the floor once; slice 1 on SQLite also runs the plugin's tests and `example`.
    Other arguments go to pytest (the backend's runs).
    """
    try:  # a bad option fails before anything is installed
        options = parse_ci_args(session.posargs)
    except ValueError as error:
        session.error(f"ci: {error}")
    install(session, "coverage", *SUITE, extras=SUITE)
    for run in pytest_runs(options):
        session.run("pytest", *run.args, env=run.env)
    if options.splits is None or (options.group == 1 and options.engines[0] == ENGINES[0]):
        plugin_coverage(session)  # once per matrix: in its first job
        session.notify("example", posargs=[])  # both engines, serial and -n 2
    if options.splits is None:
        session.notify("typecheck")
    else:
        session.log(f"Slice: coverage data and JUnit in {SLICES}/, no floor. When every "
                    "slice has run: `python -m nox -s combine` (report, 90% floor).")  # fmt: skip


@nox.session
def example(session: nox.Session) -> None:
    """The sync example app's suite (examples/notes) on the plugin: each engine, serial and -n 2."""
    install(session, "example")
    session.chdir("examples/notes")
    for engine in ENGINES:
        for workers in ([], ["-n", "2"]):
            session.run("pytest", f"--db={engine}", *workers, "-q", *session.posargs)


@nox.session
def durations(session: nox.Session) -> None:
    """Refresh DURATIONS (pytest-split's timings, committed) from a real serial run of the suite."""
    install(session, *SUITE, extras=SUITE)  # as `ci` runs it
    # A whole run replaces the file; a selection (`-- tests/api`) only updates its own tests.
    clean = [] if session.posargs else ["--clean-durations"]
    session.run("pytest", "-q", "--store-durations", f"--durations-path={DURATIONS}", *clean,
                *session.posargs)  # fmt: skip
    session.log(f"{DURATIONS} refreshed: commit it so CI's slices stay balanced.")


@nox.session
def combine(session: nox.Session) -> None:
    """Merge the CI slices: their JUnit files, then coverage (one report, the floor once)."""
    install(session, "combine")
    session.run("python", "-m", "tools.shards", "merge", SLICES, "--junit", "build/junit.xml")
    # `combine` reads the `.coverage.*` files beside its data file; the reports then read a copy
    # outside that folder, because with `parallel = true` they would combine (and delete) the
    # slices' files again.
    session.run("coverage", "combine", "--keep", "-q", str(SLICES),
                env={"COVERAGE_FILE": f"{SLICES}/.coverage"})  # fmt: skip
    shutil.copyfile(f"{SLICES}/.coverage", "build/.coverage")
    env = {"COVERAGE_FILE": "build/.coverage"}
    session.run("coverage", "xml", "-q", "--fail-under=0", "-o", "build/coverage.xml", env=env)
    session.run("coverage", "report", env=env)  # fail_under from pyproject.toml, applied once


@nox.session
def shards(session: nox.Session) -> None:
    """Plan the CI matrix: wall time and balance for 1-16 slices from DURATIONS (`-- --help`)."""
    install(session, "test")
    session.run("python", "-m", "tools.shards", *(session.posargs or ["plan"]))


@nox.session
def bench(session: nox.Session) -> None:
    """Measure the speed-ups, naive vs optimized side by side (`-- --compare FILE`, `--readme`,
    `--help`)."""
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
    install(session, *SUITE, extras=SUITE)  # as `ci` runs it
    session.run("python", "-m", "tools.stress", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """schemathesis, every check and the stateful phase, anonymous and logged in, in-process."""
    install(session, "fuzz")
    session.run("pytest", "tests/fuzz", *session.posargs)


@nox.session
def contract(session: nox.Session) -> None:
    """schemathesis' CLI, every check, on a real `python -m backend`: anonymous and logged in."""
    install(session, "fuzz")
    # No interrupt timeout: on Ctrl-C the check stops its server and removes its files first.
    session.run("python", "-m", "tools.contract_check", *session.posargs, interrupt_timeout=None)


@nox.session
def load(session: nox.Session) -> None:
    """The real server under 40 users on SQLite, then PostgreSQL: one table (`-- --help`)."""
    install(session, "load", extras=("postgres",))
    # No interrupt timeout: on Ctrl-C the script stops its servers and removes its files first.
    session.run("python", "-m", "tools.load", *session.posargs, interrupt_timeout=None)


@nox.session
def openapi(session: nox.Session) -> None:
    """Regenerate openapi.json, the committed contract, from the app (`-- --check` compares)."""
    install(session)
    session.run("python", "-m", "backend.openapi", *session.posargs)


@nox.session
def lock(session: nox.Session) -> None:
    """Refresh uv.lock after editing pyproject.toml (`-- --upgrade`: newest versions allowed)."""
    require_uv(session)
    session.run("uv", "lock", *session.posargs)


# `venv_backend="none"`: tools/package_check.py makes each venv itself with that Python's
# stdlib `venv`, hence with the pip that Python bundles (23.2.1 for 3.11.7), not upgraded; a
# session venv would go unused, and uv or virtualenv would seed a pip of their own. nox ignores
# `python=[...]` without a venv, so the version is a parameter and the check gets the
# interpreter `tests` would use; a Python this machine lacks is skipped, as nox skips a venv's.
@nox.session(venv_backend="none")
@nox.parametrize("python_version", PYTHONS, ids=list(PYTHONS))
def package(session: nox.Session, python_version: str) -> None:
    """Install as a wheel, then editable, in a fresh venv: `python -m backend` must serve."""
    python = interpreter(python_version)
    if python == python_version and shutil.which(f"python{python_version}") is None:
        session.skip(f"Python {python_version} not found (pyenv install {python_version}?)")
    # No interrupt timeout: on Ctrl-C the check stops its server and removes its venvs first.
    session.run(sys.executable, "-m", "tools.package_check", "--python", python,
                *session.posargs, interrupt_timeout=None)  # fmt: skip


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and formatting), the CI workflow's schema and audit (zizmor), then typecheck."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # The CI workflow against GitHub's workflow schema, bundled with the tool, then zizmor's
    # security audit (pinned actions, credentials, permissions...): neither needs the network.
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows", WORKFLOW)
    session.run("zizmor", "--offline", WORKFLOW)
    session.notify("typecheck")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy: strict on backend/, testkit/ and the tooling, looser on tests (pyproject.toml)."""
    install(session, "typecheck")
    session.run("mypy", *session.posargs)
