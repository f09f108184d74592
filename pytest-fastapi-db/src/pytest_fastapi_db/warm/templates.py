"""The schema's tag, and SQLite's template kept warm.

A warm server keeps each engine's template for as long as the schema it was built from: the
tag is a hash of every file of the checkout the schema can come from: the migrations, and
(since the schema source may be models' metadata, or a function) every Python file but its
tests. An edited migration or model is a new tag, whose template the first run to need it
builds; an edited test is not.

On SQLite the template is a file in the warm server's folder, named by the tag and built by the
first run that finds it missing (into a file of its own, then renamed: two runs may build it at
once); each run copies it as a cold run copies its own. The server tags the schema for both
engines and passes this file's path in WARM_SQLITE_ENV; the run side is `warm_sqlite`, which
the plugin uses when that is set.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_fastapi_db.databases import BuildSchema, SqliteDatabases

WARM_SQLITE_ENV = "FASTAPI_DB_WARM_SQLITE"
SQLITE_TEMPLATE = "sqlite-{tag}.sqlite3"

# Folders whose every file is the schema's history (a migration's SQL, its template too).
MIGRATION_FOLDERS = frozenset({"migrations", "alembic", "versions"})
# Never walked: tests, tools' and environments' folders (and anything hidden).
SKIPPED_FOLDERS = frozenset({"tests", "test", "__pycache__", "node_modules", "venv", "build",
                             "dist", "site-packages"})  # fmt: skip
TEST_FILES = re.compile(r"(test_.*|.*_test|conftest)\.py")
SCHEMA_FILES = ("alembic.ini", "pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini")


def schema_tag(root: Path) -> str:
    """A hash of every file of the checkout that the schema may come from."""
    digest = hashlib.sha256()
    for path in sorted(_schema_files(root)):
        with open(path, "rb") as file:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + file.read() + b"\0")
    return digest.hexdigest()[:16]


def _schema_files(root: Path) -> Iterator[Path]:
    for name in SCHEMA_FILES:
        if (root / name).is_file():
            yield root / name
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders
                      if not name.startswith(".") and name not in SKIPPED_FOLDERS]  # fmt: skip
        history = bool(MIGRATION_FOLDERS.intersection(Path(folder).relative_to(root).parts))
        for name in files:
            if (history and not name.endswith(".pyc")) or (
                name.endswith(".py") and not TEST_FILES.fullmatch(name)
            ):
                yield Path(folder) / name


# In the warm server.


def sqlite_template(folder: Path, tag: str) -> Path:
    """The file of SQLite's template for the schema tagged `tag` (a SQLite run is told it)."""
    return folder / SQLITE_TEMPLATE.format(tag=tag)


def prune_sqlite_templates(folder: Path) -> None:
    """All but the newest template: those of a schema edited since (no run may be using them:
    the server calls this when none is running)."""
    templates = sorted(folder.glob(SQLITE_TEMPLATE.format(tag="*")), key=_mtime)
    for stale in templates[:-1]:
        stale.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    with contextlib.suppress(OSError):
        return path.stat().st_mtime
    return 0.0


# In a run (the plugin, when WARM_SQLITE_ENV is set).


def warm_sqlite(run_dir: Path, is_async: bool) -> SqliteDatabases | None:
    """The run's SQLite databases copied from the warm server's template, or None outside a
    warm run."""
    template = os.environ.pop(WARM_SQLITE_ENV, None)  # for this run only, not for runs it starts
    if not template:
        return None
    from pytest_fastapi_db.databases import SqliteDatabases

    class WarmSqliteDatabases(SqliteDatabases):
        """The warm server's template for the current schema (built here if it is new)."""

        def build_template(self, build: BuildSchema) -> None:
            if self.template.exists():
                return
            building = self.template.with_name(f"{self.template.stem}-{os.getpid()}.building")
            try:
                build(f"sqlite:///{building}")
                os.replace(building, self.template)
            finally:
                building.unlink(missing_ok=True)

        def close(self) -> None:
            """The template is the server's: it stays for the next run."""

    return WarmSqliteDatabases(run_dir, is_async=is_async, template=Path(template))
