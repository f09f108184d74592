"""When what the server holds no longer matches the checkout: it retires, that run goes cold.

No watcher threads (a thread at fork time would be copied half-way): before each run the server
compares a snapshot taken when it loaded its modules with the files and environment now. A
changed file is told by its modification time and size, which a checkout, an install or an
editor all change.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# In the checkout's root: what decides the environment (locks, pyproject) and pytest's ini.
ROOT_FILES = (
    "pyproject.toml",
    "pytest.ini",
    ".pytest.ini",
    "tox.ini",
    "setup.cfg",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile.lock",
    "requirements.txt",
)
# Read once by the interpreter at start-up (paths, flags, warnings filters, hash seed, text
# encoding, locale, time zone), so a run asking for other values needs another server.
LOCALE_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ")

Stamp = tuple[int, int] | None


def stamp(path: str) -> Stamp:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def import_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables among `env` that change what or how the interpreter imports."""
    return {
        name: value
        for name, value in env.items()
        if name.startswith("PYTHON") or name in LOCALE_ENV
    }


def package_dirs() -> list[str]:
    """Where installed packages live: an install or removal changes these directories."""
    paths = sysconfig.get_paths()
    return sorted({paths["purelib"], paths["platlib"], paths["stdlib"]})


@dataclass
class Snapshot:
    """The files and environment the server's state depends on, as they were when loaded."""

    env: dict[str, str]
    files: dict[str, Stamp] = field(default_factory=dict)

    @classmethod
    def take(cls, root: Path, env: Mapping[str, str]) -> Snapshot:
        snapshot = cls(import_env(env))
        snapshot.watch([str(root / name) for name in ROOT_FILES])
        snapshot.watch(package_dirs())
        snapshot.watch([sys.executable, os.path.realpath(sys.executable)])
        return snapshot

    def watch(self, paths: Iterable[str]) -> None:
        for path in paths:
            if path not in self.files:
                self.files[path] = stamp(path)

    def watch_modules(self) -> None:
        """Every module now imported that was loaded from a file (the server's preload)."""
        self.watch(
            module_file
            for module in list(sys.modules.values())
            if (module_file := getattr(module, "__file__", None))
        )

    def changed(self, env: Mapping[str, str]) -> str | None:
        """What differs now, in a few words, or None when the server is still exact."""
        wanted = import_env(env)
        if wanted != self.env:
            names = sorted(
                name
                for name in wanted.keys() | self.env.keys()
                if wanted.get(name) != self.env.get(name)
            )
            return f"the environment changed ({', '.join(names)})"
        for path, then in self.files.items():
            if stamp(path) != then:
                return f"{path} changed"
        return None
