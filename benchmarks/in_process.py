"""The figures timed inside this process, where a pytest start-up would drown the difference:
the building blocks of `testkit` on a scratch database (the test fixtures' settings), and the
one-off costs a run pays before its first test. A PostgreSQL server of the bench's own lives in
a scratch folder (a short path: pytest_fastapi_db.postgres says why), removed whatever happens.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from pathlib import Path

import httpx
from fastapi_users.password import PasswordHelper
from pwdlib import PasswordHash
from pwdlib.hashers.bcrypt import BcryptHasher
from pytest_fastapi_db.databases import PostgresDatabases, SqliteDatabases, TestDatabases, run_id
from pytest_fastapi_db.isolation import rolled_back_connection, savepoint, session_on
from pytest_fastapi_db.passwords import fast_password_hash
from pytest_fastapi_db.postgres import start_server, stop_server
from sqlalchemy import Engine, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.config import Settings
from backend.db import build_async_engine, get_async_session
from backend.main import create_app
from benchmarks.core import SQLITE, Bench, figure
from testkit.database import build_schema, create_schema, recreate_schema
from testkit.settings import DEFAULT_PASSWORD, settings_for_tests
from testkit.shared_data import SharedWorld, build_shared_video, shared_transaction

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


@asynccontextmanager
async def scratch_app(engine: str) -> AsyncIterator[tuple[Settings, Engine, AsyncEngine]]:
    """The test settings on a scratch database of `engine`, and the app's engines on it."""
    with databases_on(engine) as (folder, databases):
        urls = {}  # SQLite: a file in the folder; PostgreSQL: a clone of the migrated template
        if engine != "sqlite":
            databases.build_template(build_schema)
            urls["database_url"] = databases.create(DATABASE)
        settings = settings_for_tests(folder, DATABASE, **urls)
        sync_engine = create_schema(settings)
        async_engine = build_async_engine(settings.database_url)
        try:
            yield settings, sync_engine, async_engine
        finally:
            await async_engine.dispose()
            sync_engine.dispose()


async def timed(count: int, step: Callable[[], Awaitable[object]]) -> list[float]:
    """Seconds of each of `count` awaits: one sample is below the timer's noise."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await step()
        samples.append(time.perf_counter() - started)
    return samples


@figure(
    "db_isolation_ms",
    "database setup + teardown per test",
    at_most=1,
    ratio=20,
    guide="500-750 ms -> < 50 ms",
)
async def db_isolation(bench: Bench) -> None:
    """In-process: a rolled-back connection vs recreated tables (200 samples a round, naive 50)."""
    async with scratch_app(bench.engine) as (_settings, sync_engine, engine):

        async def optimized() -> None:
            async with rolled_back_connection(engine):
                pass

        async def naive() -> None:
            recreate_schema(sync_engine)
            await optimized()

        await timed(20, optimized)  # warm the pool and the statement caches
        for way in bench.rounds():
            step, count = (naive, 50) if way == "naive" else (optimized, 200)
            bench.record(way, await timed(count, step))
        async with rolled_back_connection(engine) as connection:
            trips = await timed(200, lambda: connection.execute(text("SELECT 1")))
    bench.extra(select_1_round_trip_ms=statistics.median(trips) * 1000)


@figure(
    "password_hash_us",
    "password hash + verify",
    at_most=10,
    engines=SQLITE,
    guide="200 ms -> < 1 ms",
)
async def password_hash(bench: Bench) -> None:
    """One hash + verify through the app's password helper: production's argon2 (naive) vs the
    fast hasher; bcrypt beside them."""

    def once(helper: PasswordHelper) -> float:
        started = time.perf_counter()
        verified, _ = helper.verify_and_update(DEFAULT_PASSWORD, helper.hash(DEFAULT_PASSWORD))
        assert verified
        return time.perf_counter() - started

    async with scratch_app(bench.engine) as (settings, _sync, _engine):
        apps = {"optimized": create_app(settings, password_hash=fast_password_hash())}
        apps["naive"] = create_app(settings)
    bcrypt, bcrypt_s = PasswordHelper(PasswordHash((BcryptHasher(),))), list[float]()
    for way in bench.rounds():
        helper, count = apps[way].state.password_helper, 2000 if way == "optimized" else 5
        bench.record(way, [once(helper) for _ in range(count)])
        bcrypt_s.extend(once(bcrypt) for _ in range(3 if way == "optimized" else 0))
    bench.extra(naive_is="argon2 (production's)", bcrypt_us=statistics.median(bcrypt_s) * 1e6)


@figure("shared_data_ms", "shared video world per test", ratio=1, engines=SQLITE)
async def shared_data(bench: Bench, samples: int = 100) -> None:
    """A test's video, transcript and vocabulary built per test vs a savepoint over one shared
    (the saving of SharedVideoTests), 100 samples a round."""
    hashed = fast_password_hash().hash(DEFAULT_PASSWORD)
    async with scratch_app(bench.engine) as (_settings, _sync, engine):

        async def naive() -> None:
            async with (
                rolled_back_connection(engine) as connection,
                session_on(connection) as session,
            ):
                await build_shared_video(session, hashed)

        async def optimized(world: SharedWorld) -> None:
            async with savepoint(world.connection):
                pass

        for way in bench.rounds():
            if way == "naive":
                bench.record(way, await timed(samples, naive))
                continue
            # SQLite has one writer: the shared world (and its write lock) lives one round.
            async with shared_transaction(engine, hashed) as world:
                bench.record(way, await timed(samples, partial(optimized, world)))


@figure("request_users_me_ms", "`GET /users/me` in-process")
@figure("request_health_ms", "`GET /health` in-process")
async def requests(bench: Bench, samples: int = 300) -> None:
    """A request in-process, the optimized way only: the app as the fixtures build it, each
    request's session on one rolled-back connection, 300 a round through httpx's ASGI transport.
    `/health` is the floor (routing, a session, `SELECT 1`), `/users/me` adds authentication."""
    async with scratch_app(bench.engine) as (settings, _sync, engine):
        app = create_app(settings, password_hash=fast_password_hash())
        transport = httpx.ASGITransport(app=app)
        async with (
            rolled_back_connection(engine) as connection,
            httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
        ):

            async def session_override() -> AsyncIterator[AsyncSession]:
                async with session_on(connection) as session:
                    yield session

            app.dependency_overrides[get_async_session] = session_override
            # A user registered and logged in through the API: nothing from the fixtures.
            user = {"email": "bench@example.com", "password": DEFAULT_PASSWORD}
            (await client.post("/auth/register", json=user)).raise_for_status()
            login = {"username": user["email"], "password": DEFAULT_PASSWORD}
            token = (await client.post("/auth/jwt/login", data=login)).raise_for_status().json()
            bearer = {"Authorization": f"Bearer {token['access_token']}"}
            for name, path, headers in (
                ("request_health_ms", "/health", {}),
                ("request_users_me_ms", "/users/me", bearer),
            ):
                get = partial(client.get, path, headers=headers)
                for _ in range(30):  # pool, statement caches, FastAPI's first calls; each passes
                    (await get()).raise_for_status()
                for way in bench.rounds(naive=0, label=bench.key(name)):
                    bench.record(way, await timed(samples, get), name)
                bench.extra(name, requests_per_round=samples)


@figure("drop_ms", "a worker's drop")
@figure("clone_ms", "a worker's copy of the template")
@figure("template_build_s", "template build (create + migrate)")
@figure("server_start_s", "PostgreSQL server start", engines=("postgresql",))
def one_off_costs(bench: Bench) -> None:
    """Paid once per run or worker, before the first test: the server started (PostgreSQL),
    the migrated template built, a worker's database cloned from it (`CREATE DATABASE ...
    TEMPLATE`, a file copy on SQLite) and dropped (3 samples at least)."""

    def lap(name: str, step: Callable[[], object]) -> float:
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
            template = lap("template_build_s", partial(databases.build_template, build_schema))
            clones = [lap("clone_ms", partial(databases.create, w)) for w in "ab"]
            for worker in "ab":
                lap("drop_ms", partial(databases.drop, worker))
            builds.append((template, min(clones)))
    template, clone = (statistics.median(each) for each in zip(*builds, strict=True))
    # What migrating each worker's database instead of cloning would cost, in clones.
    bench.extra("clone_ms", template_build_over_clone=template / clone)
