"""Scratch databases on either engine for the in-process figures, and their one-off costs.

A PostgreSQL server of the bench's own is linked from a scratch folder in the temp directory
(its data and socket live in a short path, pytest_fastapi_db.postgres says why); it is stopped
and both folders removed whatever happens, Ctrl-C included. The one-off costs are what a test
run pays once, before its first test: starting the server, building the migrated template, and per
worker cloning it (`CREATE DATABASE ... TEMPLATE` on PostgreSQL, a file copy on SQLite), then
dropping the clone.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.core import Bench, Figure, engine_key, rounded

if TYPE_CHECKING:
    from pytest_fastapi_db.databases import TestDatabases
    from pytest_fastapi_db.postgres import PostgresAddress

FOLDER_PREFIX = "backend-bench-"
DATABASE = "bench"


@contextmanager
def scratch_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_server(folder: Path) -> Iterator[PostgresAddress]:
    """A server of the bench's own, linked from `folder`, always stopped and removed at exit."""
    from pytest_fastapi_db.postgres import start_server, stop_server

    try:
        yield start_server(folder)
    finally:
        stop_server(folder)  # also after a KeyboardInterrupt in the middle of start_server


def databases_on(engine: str, folder: Path, address: PostgresAddress | None) -> TestDatabases:
    """The suite's own template-and-clones, on a folder (SQLite) or the bench's server."""
    from pytest_fastapi_db.databases import PostgresDatabases, SqliteDatabases, run_id

    if engine == "sqlite":
        return SqliteDatabases(folder, is_async=True)
    assert address is not None, "PostgreSQL needs a server"
    # Not `own_server`: the bench times real drops (drop_ms).
    return PostgresDatabases(address, run_id(os.getpid()), own_server=False, is_async=True)


@contextmanager
def scratch_database(engine: str) -> Iterator[tuple[Path, str | None]]:
    """A scratch folder and, on PostgreSQL, the async URL of a fresh clone of the template.

    On SQLite the URL is None: the caller makes its database file in the folder as before.
    """
    with scratch_folder() as folder:
        if engine == "sqlite":
            yield folder, None
            return
        with postgres_server(folder) as address:
            from testkit.database import build_schema

            databases = databases_on(engine, folder, address)
            databases.build_template(build_schema)
            try:
                yield folder, databases.create(DATABASE)
            finally:
                databases.close()


def timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def one_off_costs(bench: Bench, samples: int, engine: str) -> list[Figure]:
    """server_start_s (PostgreSQL), template_build_s, clone_ms and drop_ms: `samples` each."""
    figures = {
        name: Figure(engine_key(name, engine), unit, how, "shown (paid once per run or worker)")
        for name, unit, how in (
            ("server_start_s", "s", "start_server to ready: initdb-ed data folder, own socket"),
            ("template_build_s", "s", "build_template: create the template and migrate to head"),
            ("clone_ms", "ms", "create one worker's database from the template"),
            ("drop_ms", "ms", "drop one worker's database"),
        )
        if engine != "sqlite" or name != "server_start_s"
    }

    def add(name: str, seconds: float, scale: float = 1.0) -> None:
        figures[name].add("optimized", seconds * scale)

    for index in range(samples):
        bench.progress(f"one-off costs ({engine}): sample {index + 1}/{samples}")
        with scratch_folder() as folder:
            if engine == "sqlite":
                sample(databases_on(engine, folder, None), add)
                continue
            started = time.perf_counter()
            with postgres_server(folder) as address:
                add("server_start_s", time.perf_counter() - started)
                sample(databases_on(engine, folder, address), add)
    template = statistics.median(figures["template_build_s"].optimized)
    clone = statistics.median(figures["clone_ms"].optimized) / 1000
    figures["clone_ms"].extra = {
        "template_build_over_clone": rounded(template / clone) if clone else None,
        "note": "migrating each worker's database instead of cloning would cost template_build_s",
    }
    return list(figures.values())


def sample(databases: TestDatabases, add: Callable[[str, float, float], None]) -> None:
    """One template build, then two clones and drops (the first clone warms the server)."""
    from testkit.database import build_schema

    try:
        add("template_build_s", timed(partial(databases.build_template, build_schema)), 1.0)
        for worker in ("gw0", "gw1"):
            add("clone_ms", timed(partial(databases.create, worker)), 1000.0)
            add("drop_ms", timed(partial(databases.drop, worker)), 1000.0)
    finally:
        databases.close()
