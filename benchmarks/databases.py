"""Scratch databases on either engine for the in-process figures, and a run's one-off costs.

A PostgreSQL server of the bench's own lives in a scratch folder of the temp directory (a short
path: pytest_fastapi_db.postgres says why), stopped and removed whatever happens, Ctrl-C too.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from pytest_fastapi_db.databases import PostgresDatabases, SqliteDatabases, TestDatabases, run_id
from pytest_fastapi_db.postgres import start_server, stop_server

from benchmarks.core import Bench, figure
from testkit.database import build_schema

DATABASE = "bench"


@contextmanager
def databases_on(engine: str) -> Iterator[tuple[Path, TestDatabases]]:
    """A scratch folder and the suite's own template-and-clones in it (SQLite) or on a server
    of its own (PostgreSQL; not `own_server`: the bench times real drops)."""
    with tempfile.TemporaryDirectory(prefix="backend-bench-", ignore_cleanup_errors=True) as tmp:
        folder, run = Path(tmp), run_id(os.getpid())
        try:
            databases: TestDatabases = (
                SqliteDatabases(folder, is_async=True)
                if engine == "sqlite"
                else PostgresDatabases(start_server(folder), run, own_server=False, is_async=True)
            )
            try:
                yield folder, databases
            finally:
                databases.close()
        finally:
            if engine != "sqlite":
                stop_server(folder)  # also after a KeyboardInterrupt inside start_server


@figure("drop_ms", "a worker's drop")
@figure("clone_ms", "a worker's copy of the template")
@figure("template_build_s", "template build (create + migrate)")
@figure("server_start_s", "PostgreSQL server start", engines=("postgresql",))
def one_off_costs(bench: Bench) -> None:
    """Paid once per run or worker, before the first test: the server started (PostgreSQL),
    the migrated template built, a worker's database cloned from it (`CREATE DATABASE ...
    TEMPLATE`, a file copy on SQLite) and dropped (3 samples at least)."""

    def timed(name: str, step: Callable[[], object]) -> float:
        started = time.perf_counter()
        step()
        bench.record("optimized", [elapsed := time.perf_counter() - started], name)
        return elapsed

    builds = []
    for index in range(samples := max(bench.plan.rounds, 3)):
        bench.progress(f"one-off costs ({bench.engine}): sample {index + 1}/{samples}")
        started = time.perf_counter()
        with databases_on(bench.engine) as (_folder, databases):
            if bench.engine != "sqlite":
                bench.record("optimized", [time.perf_counter() - started], "server_start_s")
            # One template, then two clones and drops (the first clone warms the server).
            template = timed("template_build_s", partial(databases.build_template, build_schema))
            clones = [timed("clone_ms", partial(databases.create, w)) for w in "ab"]
            for worker in "ab":
                timed("drop_ms", partial(databases.drop, worker))
            builds.append((template, min(clones)))
    template, clone = (statistics.median(each) for each in zip(*builds, strict=True))
    # What migrating each worker's database instead of cloning would cost, in clones.
    bench.extra("clone_ms", template_build_over_clone=template / clone)
