"""The figures timed inside this process, where a pytest start-up would drown the difference.

Each times one building block of `testkit` on a scratch database, with the settings the test
fixtures use: a database reset, a password hash, the shared data a test reads.
The app and its dependencies are imported inside the functions, so that `--help` and
`--compare` start at once.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

from benchmarks.core import DEFAULT_ENGINE, Bench, Figure, engine_key, rounded
from benchmarks.databases import DATABASE, scratch_database

if TYPE_CHECKING:
    from fastapi_users.password import PasswordHelper
    from sqlalchemy import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine

    from backend.config import Settings


@contextmanager
def scratch_app(engine: str = DEFAULT_ENGINE) -> Iterator[tuple[Settings, Engine]]:
    """The test settings (as the fixtures make them) on a scratch database of `engine`.

    SQLite: a fresh file whose tables `create_schema` makes. PostgreSQL: a clone of the
    migrated template on a server of the bench's own (create_schema finds the tables there).
    """
    from testkit.database import create_schema
    from testkit.settings import settings_for_tests

    with scratch_database(engine) as (folder, url):
        overrides = {"database_url": url} if url else {}
        settings = settings_for_tests(folder, DATABASE, **overrides)
        sync_engine = create_schema(settings)
        try:
            yield settings, sync_engine
        finally:
            sync_engine.dispose()


@asynccontextmanager
async def async_engine_of(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The app's async engine, built and disposed inside the running event loop."""
    from backend.db import build_async_engine

    engine = build_async_engine(settings.database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def median_of(count: int, step: Callable[[], Awaitable[None]]) -> float:
    """Median seconds of `count` awaits: one sample is below the timer's noise."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await step()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def db_isolation(
    bench: Bench, rounds: int, engine: str, samples: int = 200, naive_samples: int = 50
) -> Figure:
    from pytest_fastapi_db.isolation import rolled_back_connection
    from sqlalchemy import text

    from testkit.database import recreate_schema

    figure = Figure(
        engine_key("db_isolation_ms", engine),
        "ms",
        "setup + teardown of one test's database state, in-process, median of "
        f"{samples} (naive {naive_samples})",
        "optimized <= 1 ms and >= 20x less than recreate",
    )
    with scratch_app(engine) as (settings, sync_engine):

        async def measure() -> float:
            async with async_engine_of(settings) as async_engine:

                async def optimized() -> None:
                    async with rolled_back_connection(async_engine):
                        pass

                async def naive() -> None:
                    recreate_schema(sync_engine)
                    async with rolled_back_connection(async_engine):
                        pass

                steps = {"naive": (naive, naive_samples), "optimized": (optimized, samples)}
                await median_of(20, optimized)  # warm the pool and the statement caches
                for way in bench.rounds(figure.key, rounds):
                    step, count = steps[way]
                    figure.add(way, await median_of(count, step) * 1000)
                async with rolled_back_connection(async_engine) as connection:

                    async def select_one() -> None:
                        await connection.execute(text("SELECT 1"))

                    return await median_of(samples, select_one)

        round_trip = asyncio.run(measure())
    figure.extra = {"select_1_round_trip_ms": rounded(round_trip * 1000)}
    figure.met = figure.at_most(1) and (figure.ratio or 0) >= 20
    return figure


def password_hash(bench: Bench, rounds: int) -> Figure:
    from fastapi_users.password import PasswordHelper
    from pwdlib import PasswordHash
    from pwdlib.hashers.bcrypt import BcryptHasher
    from pytest_fastapi_db.passwords import fast_password_hash

    from backend.main import create_app
    from testkit.settings import DEFAULT_PASSWORD

    figure = Figure(
        "password_hash_us",
        "us",
        "one hash + one verify through the app's password helper",
        "optimized <= 10 us (argon2 and bcrypt shown beside it)",
    )
    bcrypt_us: list[float] = []
    with scratch_app() as (settings, _sync):
        apps = {
            "optimized": create_app(settings, password_hash=fast_password_hash()),
            "naive": create_app(settings),  # production's argon2
        }
        helpers: dict[str, PasswordHelper] = {
            way: app.state.password_helper for way, app in apps.items()
        }
        bcrypt = PasswordHelper(PasswordHash((BcryptHasher(),)))
        counts = {"optimized": 2000, "naive": 5}

        def once(helper: PasswordHelper) -> float:
            started = time.perf_counter()
            hashed = helper.hash(DEFAULT_PASSWORD)
            verified, _ = helper.verify_and_update(DEFAULT_PASSWORD, hashed)
            elapsed = time.perf_counter() - started
            assert verified
            return elapsed

        for way in bench.rounds(figure.key, rounds, then=("bcrypt",)):
            if way == "bcrypt":
                bcrypt_us.append(statistics.median(once(bcrypt) for _ in range(3)) * 1e6)
            else:
                samples = [once(helpers[way]) for _ in range(counts[way])]
                figure.add(way, statistics.median(samples) * 1e6)
    figure.extra = {
        "naive_is": "argon2 (production's PasswordHash)",
        "bcrypt_us": rounded(statistics.median(bcrypt_us)),
        "bcrypt_ratio": rounded(statistics.median(bcrypt_us) / (figure.median("optimized") or 1)),
    }
    figure.met = figure.at_most(10)
    return figure


def shared_data(bench: Bench, rounds: int, samples: int = 100) -> Figure:
    from pytest_fastapi_db.isolation import rolled_back_connection, savepoint, session_on
    from pytest_fastapi_db.passwords import fast_password_hash

    from testkit.settings import DEFAULT_PASSWORD
    from testkit.shared_data import build_shared_video, shared_transaction

    figure = Figure(
        "shared_data_ms",
        "ms",
        "a test's video + transcript + vocabulary: built per test vs a savepoint over one shared",
        "optimized < naive (the saving of SharedVideoTests)",
    )
    hashed = fast_password_hash().hash(DEFAULT_PASSWORD)
    with scratch_app() as (settings, _sync):

        async def naive(async_engine: AsyncEngine) -> float:
            async def build() -> None:
                async with (
                    rolled_back_connection(async_engine) as connection,
                    session_on(connection) as session,
                ):
                    await build_shared_video(session, hashed)

            return await median_of(samples, build)

        async def optimized(async_engine: AsyncEngine) -> float:
            # SQLite has one writer: the shared world (and its write lock) lives for one round.
            async with shared_transaction(async_engine, hashed) as world:

                async def enter_and_leave() -> None:
                    async with savepoint(world.connection):
                        pass

                return await median_of(samples, enter_and_leave)

        steps = {"naive": naive, "optimized": optimized}

        async def measure() -> None:
            async with async_engine_of(settings) as async_engine:
                for way in bench.rounds(figure.key, rounds):
                    figure.add(way, await steps[way](async_engine) * 1000)

        asyncio.run(measure())
    figure.met = (figure.ratio or 0) > 1
    return figure
