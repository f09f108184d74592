"""Which interpreter a session gets (tools/pythons.py), on a pyenv folder laid out for the test."""

from __future__ import annotations

from pathlib import Path

from tools.pythons import interpreter


def build(root: Path, name: str, version: str) -> Path:
    python = root / "versions" / name / "bin" / f"python{version}"
    python.parent.mkdir(parents=True)
    python.touch()
    return python


def test_the_newest_patch_release_pyenv_built_is_taken_by_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    build(tmp_path, "3.12.1", "3.12")
    newest = build(tmp_path, "3.12.10", "3.12")
    build(tmp_path, "3.12.11t", "3.12")  # free-threaded: not the version asked for
    build(tmp_path, "3.12-dev", "3.12")
    assert interpreter("3.12") == str(newest)


def test_without_a_build_the_version_is_left_for_nox_to_find(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    build(tmp_path, "3.13.0", "3.13")
    assert interpreter("3.14") == "3.14"


def test_pyenv_root_defaults_to_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PYENV_ROOT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    python = build(tmp_path / ".pyenv", "3.11.7", "3.11")
    assert interpreter("3.11") == str(python)
