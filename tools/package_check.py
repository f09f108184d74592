"""Prove that the project installs and serves, as a wheel and editable, with a Python's own pip.

    python -m tools.package_check [--python 3.12|PATH] [--mode wheel|editable|both]
                                  [--timeout SECONDS]

`nox -s package` runs it once per supported Python. For each install mode:
- a fresh venv made by that Python's stdlib `venv` module, so with the pip that Python bundles
  (not upgraded, no uv): what a newcomer with only Python gets;
- wheel: a wheel built from a copy of the checkout (a stale `build/` in the checkout cannot
  leak into it), checked to hold every file of `backend/`, then installed; editable: `pip
  install -e` of the checkout;
- `python -m backend` started from an empty temporary directory, so the checkout is not on
  sys.path and the installed package is what runs, on a free port with a temporary
  DATABASE_URL and MEDIA_DIR: it migrates the new database and must answer `GET /health` with
  200 within the timeout, or the check fails showing the server's output. Then it is stopped;
- the pytest plugin (pytest-fastapi-db/) the same way, in the same venv: its wheel (checked to
  hold every file of its package, `py.typed` too) or an editable install, then pytest run from
  the empty directory must list the plugin's options (its `pytest11` entry point loads it);
  and its wheel alone, no extra, in a venv of its own (what another team installs: nothing of
  the backend's dependencies to hide a missing import).

Everything temporary is removed at the end, on failure and on Ctrl-C, and the server's whole
process group is killed. Exits 0 when every check passed, 1 when one failed, 2 when the Python
cannot be found or is too old.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

from tools import ROOT
from tools.served import PACKAGE, NotServing, serving, sigterm_as_ctrl_c, tail

MODES = ("wheel", "editable")
PLUGIN = "pytest-fastapi-db"
PLUGIN_PACKAGE = "pytest_fastapi_db"
MINIMUM = (3, 11)  # pyproject.toml's requires-python
# Left out of the copy a wheel is built from: nothing of them belongs in a wheel.
NOT_SOURCES = (".git", ".nox", ".venv", "build", "dist", "media", "*.egg-info", "__pycache__",
               "*.pyc", ".*_cache", ".hypothesis", ".coverage*", "*.sqlite3*", ".env")  # fmt: skip
# Environment that would make the server import something other than the installed package or
# read settings other than the check's own.
DROPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PIP_USER")


class CheckFailed(Exception):
    """A step of the check failed; the message says which and shows its output."""


class PythonNotFound(Exception):
    """The Python asked for cannot be run; the message says what was tried."""


def python_version(executable: str) -> tuple[int, int] | None:
    """The (major, minor) of `executable`, or None when it does not run as a Python."""
    try:
        done = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    major, dot, minor = done.stdout.strip().partition(".")
    if done.returncode or not dot or not (major.isdecimal() and minor.isdecimal()):
        return None  # e.g. a pyenv shim of a version that pyenv does not currently select
    return int(major), int(minor)


def find_python(spec: str) -> tuple[str, tuple[int, int]]:
    """The interpreter for `spec` (a version such as 3.12, or a path) and its version.

    A version is looked for as `pythonX.Y` on PATH (`nox -s package` passes a path when pyenv
    has the version but does not select it: tools/pythons.py).
    """
    wanted: tuple[int, int] | None = None
    if os.sep in spec or (os.altsep and os.altsep in spec) or Path(spec).is_file():
        candidates = [spec]
    else:
        major, dot, minor = spec.partition(".")
        if not (dot and major.isdecimal() and minor.isdecimal()):
            raise PythonNotFound(f"--python takes a version such as 3.12 or a path, got {spec!r}")
        wanted = (int(major), int(minor))
        on_path = shutil.which(f"python{spec}")
        candidates = [on_path] if on_path else []
    for candidate in candidates:
        version = python_version(candidate)
        if version is not None and (wanted is None or version == wanted):
            if version < MINIMUM:
                raise PythonNotFound(
                    f"{candidate} is Python {version[0]}.{version[1]}; the project needs "
                    f"Python {MINIMUM[0]}.{MINIMUM[1]} or newer (requires-python)"
                )
            return candidate, version
    if wanted is None:
        raise PythonNotFound(f"{spec} does not run as a Python")
    tried = ", ".join(candidates) if candidates else f"no python{spec} on PATH"
    raise PythonNotFound(
        f"Python {spec} not found or does not run (tried: {tried}). Install it (for example "
        f"`pyenv install {spec}`) or pass --python /path/to/python{spec}."
    )


def run(command: Sequence[str | Path], *, cwd: Path, what: str, env: dict[str, str]) -> str:
    """Run `command`, returning its output; CheckFailed with the output's tail if it fails."""
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if done.returncode:
        shown = " ".join(str(part) for part in command)
        raise CheckFailed(
            f"{what} failed (exit status {done.returncode}): {shown}\n{tail(done.stdout)}"
        )
    return done.stdout


def clean_env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in DROPPED_ENV}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"  # the bundled pip, on purpose: no upgrade nag
    return env


def venv_python(venv: Path) -> Path:
    if sys.platform == "win32":  # pragma: no cover - the project's machines are POSIX
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def missing_from_wheel(wheel: Path, source: Path, package_name: str = PACKAGE) -> list[str]:
    """Files of the package in `source` that the wheel lacks (package data included)."""
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    package = source / package_name
    expected = {
        path.relative_to(source).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    return sorted(expected - shipped)


def build_and_install(
    python: Path, work: Path, env: dict[str, str], source: Path, packages: Path, package: str
) -> str:
    """Build the wheel of the project in `source`, check it holds every file of `package` (in
    `packages`), install it; its name."""
    dist = work / f"dist-{source.name}"
    run([python, "-m", "pip", "wheel", "--no-deps", "-w", dist, source], cwd=work,
        what=f"building the wheel of {source.name}", env=env)  # fmt: skip
    wheels = sorted(dist.glob("*.whl"))
    if len(wheels) != 1:
        raise CheckFailed(f"expected one wheel in {dist}, found {[w.name for w in wheels]}")
    missing = missing_from_wheel(wheels[0], packages, package)
    if missing:
        raise CheckFailed(f"{wheels[0].name} lacks files of {package}/: {', '.join(missing)}")
    run([python, "-m", "pip", "install", wheels[0]], cwd=work,
        what=f"installing {wheels[0].name}", env=env)  # fmt: skip
    return wheels[0].name


def install_wheel(python: Path, work: Path, env: dict[str, str]) -> str:
    """Build the wheels from a copy of the checkout, check their contents, install them."""
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    app = build_and_install(python, work, env, source, source, PACKAGE)
    plugin = source / PLUGIN
    return f"{app} and " + build_and_install(
        python, work, env, plugin, plugin / "src", PLUGIN_PACKAGE
    )


def install_editable(python: Path, work: Path, env: dict[str, str]) -> str:
    for project in (ROOT, ROOT / PLUGIN):
        run([python, "-m", "pip", "install", "-e", project], cwd=work,
            what=f"the editable install of {project.name}", env=env)  # fmt: skip
    return f"editable {ROOT} and {ROOT / PLUGIN}"


def check_mode(python: str, label: str, mode: str, timeout: float) -> None:
    """One install mode in a fresh venv, in a temporary directory removed whatever happens."""
    prefix = f"[{label}] {mode}:"
    work = Path(tempfile.mkdtemp(prefix=f"package-check-{label}-{mode}-"))
    try:
        env = clean_env()
        started = time.monotonic()
        venv = work / "venv"
        run([python, "-m", "venv", venv], cwd=work, what="creating the venv", env=env)
        venv_py = venv_python(venv)
        pip = run([venv_py, "-m", "pip", "--version"], cwd=work, what="pip --version", env=env)
        print(f"{prefix} venv with its bundled {' '.join(pip.split()[:2])}", flush=True)
        print(f"{prefix} installing...", flush=True)
        install = install_wheel if mode == "wheel" else install_editable
        installed = install(venv_py, work, env)
        print(f"{prefix} installed {installed} in {time.monotonic() - started:.1f} s", flush=True)
        run_dir = work / "run"  # empty: nothing of the checkout on sys.path
        run_dir.mkdir()
        where = run(
            [venv_py, "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
            cwd=run_dir,
            what=f"importing {PACKAGE}",
            env=env,
        ).strip()
        print(f"{prefix} {PACKAGE} imported from {where}", flush=True)
        expected = venv if mode == "wheel" else ROOT
        if not Path(where).resolve().is_relative_to(expected.resolve()):
            raise CheckFailed(f"{PACKAGE} should come from {expected}, came from {where}")
        check_pytest_loads_plugin(venv_py, run_dir, env)
        print(f"{prefix} pytest loads {PLUGIN} (its pytest11 entry point)", flush=True)
        try:
            with serving(venv_py, run_dir, env, timeout) as server:
                print(f"{prefix} /health 200 in {server.started_in:.1f} s", flush=True)
        except NotServing as error:
            raise CheckFailed(str(error)) from None
        if mode == "wheel":
            check_plugin_alone(python, work, env)
            print(f"{prefix} {PLUGIN} alone (no extra, no backend) loads too", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_pytest_loads_plugin(venv_py: Path, run_dir: Path, env: dict[str, str]) -> None:
    options = run([venv_py, "-m", "pytest", "--help"], cwd=run_dir,
                  what="pytest with the plugin installed", env=env)  # fmt: skip
    if "--db-isolation" not in options:
        raise CheckFailed(f"pytest does not load {PLUGIN}: no --db-isolation in its --help")


def check_plugin_alone(python: str, work: Path, env: dict[str, str]) -> None:
    """The plugin's wheel (built by install_wheel) in a venv of its own, with no extra: what
    another team installs. An import that the backend's dependencies would have satisfied
    (greenlet, bcrypt) fails here."""
    venv = work / "plugin-venv"
    run([python, "-m", "venv", venv], cwd=work, what="creating the plugin's venv", env=env)
    venv_py = venv_python(venv)
    (wheel,) = (work / f"dist-{PLUGIN}").glob("*.whl")
    run([venv_py, "-m", "pip", "install", wheel], cwd=work,
        what=f"installing {wheel.name} alone", env=env)  # fmt: skip
    run_dir = work / "plugin-run"
    run_dir.mkdir()
    check_pytest_loads_plugin(venv_py, run_dir, env)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="package_check",
        description="Install the project (wheel, editable) in a fresh venv and serve /health.",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="a version (3.12) or an interpreter's path (default: the one running this)",
    )
    parser.add_argument("--mode", choices=(*MODES, "both"), default="both")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds for the server to answer /health (default 120)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        python, version = find_python(args.python)
    except PythonNotFound as error:
        print(f"package_check: {error}", file=sys.stderr)
        return 2
    label = f"{version[0]}.{version[1]}"
    print(f"[{label}] using {python}", flush=True)
    sigterm_as_ctrl_c()
    try:
        for mode in MODES if args.mode == "both" else (args.mode,):
            started = time.monotonic()
            try:
                check_mode(python, label, mode, args.timeout)
            except CheckFailed as error:
                print(f"[{label}] {mode}: FAILED: {error}", file=sys.stderr, flush=True)
                return 1
            print(f"[{label}] {mode}: passed in {time.monotonic() - started:.1f} s", flush=True)
    except KeyboardInterrupt:
        print(f"[{label}] interrupted; temporary venvs removed", file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
