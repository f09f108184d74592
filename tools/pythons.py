"""Which interpreter a nox session gets for a Python version (X.Y).

pyenv's shims run only the versions `pyenv global`/`local` select, and nox, like uv, passes over
a shim that fails; so a version pyenv has built is taken from its own folder, by path.
"""

from __future__ import annotations

import os
from pathlib import Path


def pyenv_root() -> Path:
    """Where pyenv keeps its builds: $PYENV_ROOT, else ~/.pyenv."""
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def interpreter(version: str) -> str:
    """pyenv's newest build of `version` (a path) when pyenv has one, else `version` itself,
    which nox finds on PATH (or has uv install)."""
    builds = {}  # by patch release: 3.13.0, not 3.13.0t or 3.13-dev
    for build in pyenv_root().glob(f"versions/{version}.*/bin/python{version}"):
        patch = build.parents[1].name.removeprefix(f"{version}.")
        if patch.isdecimal():
            builds[int(patch)] = build
    return str(builds[max(builds)]) if builds else version
