"""`nox -s package` (tools/package_check.py): finding the Python, the wheel's contents, errors.

The install itself (a venv, pip building and installing: minutes) runs only in the session.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from tools.package_check import (
    CheckFailed,
    PythonNotFound,
    clean_env,
    find_python,
    main,
    missing_from_wheel,
    parse_args,
    python_version,
    run,
    venv_python,
)

RUNNING = sys.version_info[:2]


def fake_python(folder: Path, prints: str) -> Path:
    """An executable that answers the version question as an old or broken Python would."""
    script = folder / "python"
    script.write_text(f"#!/bin/sh\necho '{prints}'\n")
    script.chmod(0o755)
    return script


@pytest.mark.slow  # asks two Python processes their version
def test_the_running_python_is_found_by_path_and_by_version(monkeypatch):
    assert find_python(sys.executable) == (sys.executable, RUNNING)
    assert python_version(sys.executable) == RUNNING
    version = f"{RUNNING[0]}.{RUNNING[1]}"
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent), prepend=":")  # pythonX.Y there
    assert find_python(version) == (str(Path(sys.executable).with_name(f"python{version}")),
                                    RUNNING)  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("three", "--python takes a version such as 3.12 or a path, got 'three'"),
        ("3.99", r"Python 3.99 not found or does not run \(tried: no python3.99 on PATH\)"),
        ("/no/such/python", "/no/such/python does not run as a Python"),
    ],
)
def test_a_python_that_cannot_be_had_says_what_was_tried(spec, message):
    with pytest.raises(PythonNotFound, match=message):
        find_python(spec)


def test_a_python_too_old_or_not_answering_is_refused(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    with pytest.raises(PythonNotFound, match=r"is Python 2\.7; the project needs Python 3\.11"):
        find_python(str(fake_python(old, "2.7")))
    broken = tmp_path / "broken"
    broken.mkdir()
    assert python_version(str(fake_python(broken, "pyenv: version not installed"))) is None


def test_main_exits_2_naming_the_missing_python(capsys):
    assert main(["--python", "3.99"]) == 2
    assert capsys.readouterr().err.startswith("package_check: Python 3.99 not found")


def test_options_and_their_errors(capsys):
    options = parse_args([])
    assert (options.python, options.mode, options.timeout) == (sys.executable, "both", 120.0)
    with pytest.raises(SystemExit):
        parse_args(["--mode", "sdist"])
    assert "argument --mode: invalid choice: 'sdist'" in capsys.readouterr().err


def test_a_wheel_missing_a_file_of_the_package_is_named(tmp_path):
    source = tmp_path / "source"
    for name in ("backend/__init__.py", "backend/migrations/script.py.mako",
                 "backend/__pycache__/x.cpython-311.pyc"):  # fmt: skip
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text("")
    wheel = tmp_path / "backend-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("backend/__init__.py", "")
    assert missing_from_wheel(wheel, source) == ["backend/migrations/script.py.mako"]


def test_a_failed_step_raises_with_its_command_and_output(tmp_path):
    env = clean_env()
    assert run([sys.executable, "-c", "print('fine')"], cwd=tmp_path, what="x", env=env) == (
        "fine\n"
    )
    with pytest.raises(CheckFailed, match=r"(?s)building the wheel failed \(exit status 3\).*boom"):
        run([sys.executable, "-c", "print('boom'); raise SystemExit(3)"], cwd=tmp_path,
            what="building the wheel", env=env)  # fmt: skip


def test_the_check_runs_without_what_would_import_something_else(monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    monkeypatch.setenv("VIRTUAL_ENV", "/some/venv")
    env = clean_env()
    assert "PYTHONPATH" not in env
    assert "VIRTUAL_ENV" not in env
    assert env["PIP_DISABLE_PIP_VERSION_CHECK"] == "1"
    assert venv_python(tmp_path) == tmp_path / "bin" / "python"
