"""Scratch databases on either engine for the in-process figures, and a run's one-off costs.

A PostgreSQL server of the bench's own is linked from a scratch folder in the temp directory
(its data and socket live in a short path, pytest_fastapi_db.postgres says why); it is stopped
and both folders removed whatever happens, Ctrl-C included. The one-off costs are what a test
run pays once, before its first test: starting the server, building the migrated template, and
per worker cloning it (`CREATE DATABASE ... TEMPLATE` on PostgreSQL, a file copy on SQLite),
then dropping the clone.
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

from benchmarks.core import Context, figure

if TYPE_CHECKING:
    from pytest_fastapi_db.databases import TestDatabases
    from pytest_fastapi_db.postgres import PostgresAddress

DATABASE = "bench"


@contextmanager
def scratch_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="backend-bench-"))
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

    if address is None:
        return SqliteDatabases(folder, is_async=True)
    # Not `own_server`: the bench times real drops (drop_ms).
    return PostgresDatabases(address, run_id(os.getpid()), own_server=False, is_async=True)


@contextmanager
def scratch_database(engine: str) -> Iterator[tuple[Path, str | None]]:
    """A scratch folder and, on PostgreSQL, the async URL of a fresh clone of the template
    (on SQLite None: the caller makes its database file in the folder)."""
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


@figure("drop_ms", "ms", "a worker's drop")
@figure("clone_ms", "ms", "a worker's copy of the template")
@figure("template_build_s", "s", "template build (create + migrate)")
@figure("server_start_s", "s", "PostgreSQL server start", engines=("postgresql",))
def one_off_costs(ctx: Context) -> None:
    """Paid once per run or worker, before the first test: the server started (PostgreSQL),
    the migrated template built, a worker's database cloned from it and dropped (3 samples at
    least)."""
    from testkit.database import build_schema

    def timed(name: str, step: Callable[[], object]) -> float:
        started = time.perf_counter()
        step()
        elapsed = time.perf_counter() - started
        ctx.record("optimized", [elapsed], name)
        return elapsed

    def sample(databases: TestDatabases) -> tuple[float, float]:
        """One template build, then two clones and drops (the first clone warms the server)."""
        try:
            template = timed("template_build_s", partial(databases.build_template, build_schema))
            clones = [timed("clone_ms", partial(databases.create, worker)) for worker in "ab"]
            for worker in "ab":
                timed("drop_ms", partial(databases.drop, worker))
            return template, min(clones)
        finally:
            databases.close()

    builds = []
    samples = max(ctx.plan.rounds, 3)
    for index in range(samples):
        ctx.bench.progress(f"one-off costs ({ctx.engine}): sample {index + 1}/{samples}")
        with scratch_folder() as folder:
            if ctx.engine == "sqlite":
                builds.append(sample(databases_on(ctx.engine, folder, None)))
                continue
            started = time.perf_counter()
            with postgres_server(folder) as address:
                ctx.record("optimized", [time.perf_counter() - started], "server_start_s")
                builds.append(sample(databases_on(ctx.engine, folder, address)))
    template, clone = (statistics.median(each) for each in zip(*builds, strict=True))
    # What migrating each worker's database instead of cloning would cost, in clones.
    ctx.extra("clone_ms", template_build_over_clone=template / clone)
