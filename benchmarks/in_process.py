"""The figures timed inside this process, where a pytest start-up would drown the difference.

Each times one building block of `testkit` on a scratch database, with the settings the test
fixtures use: a database reset, a password hash, the shared data a test reads, and one request
through the app (the optimized way only: what an API test pays per request once isolation and
hashing are cheap). The app is imported inside the functions, so that `--help` starts at once.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

from benchmarks.core import SQLITE, Context, figure
from benchmarks.databases import DATABASE, scratch_database

if TYPE_CHECKING:
    import httpx
    from fastapi_users.password import PasswordHelper
    from sqlalchemy import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

    from backend.config import Settings

EMAIL = "bench@example.com"


@contextmanager
def scratch_app(engine: str) -> Iterator[tuple[Settings, Engine]]:
    """The test settings (as the fixtures make them) on a scratch database of `engine`: a fresh
    SQLite file whose tables `create_schema` makes, or a clone of PostgreSQL's template."""
    from testkit.database import create_schema
    from testkit.settings import settings_for_tests

    with scratch_database(engine) as (folder, url):
        settings = settings_for_tests(folder, DATABASE, **({"database_url": url} if url else {}))
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
    "ms",
    "database setup + teardown per test",
    at_most=1,
    ratio=20,
    guide="500-750 ms -> < 50 ms",
)
def db_isolation(ctx: Context) -> None:
    """In-process: a rolled-back connection vs recreated tables (200 samples a round, naive 50)."""

    from pytest_fastapi_db.isolation import rolled_back_connection
    from sqlalchemy import text

    from testkit.database import recreate_schema

    counts = {"naive": 50, "optimized": 200}
    with scratch_app(ctx.engine) as (settings, sync_engine):

        async def measure() -> None:
            async with async_engine_of(settings) as engine:

                async def optimized() -> None:
                    async with rolled_back_connection(engine):
                        pass

                async def naive() -> None:
                    recreate_schema(sync_engine)
                    await optimized()

                steps = {"naive": naive, "optimized": optimized}
                await timed(20, optimized)  # warm the pool and the statement caches
                for way in ctx.rounds():
                    ctx.record(way, await timed(counts[way], steps[way]))
                async with rolled_back_connection(engine) as connection:
                    trips = await timed(200, lambda: connection.execute(text("SELECT 1")))
            ctx.extra(select_1_round_trip_ms=statistics.median(trips) * 1000)

        asyncio.run(measure())


@figure(
    "password_hash_us",
    "us",
    "password hash + verify",
    at_most=10,
    engines=SQLITE,
    guide="200 ms -> < 1 ms",
)
def password_hash(ctx: Context) -> None:
    """One hash + verify through the app's password helper: production's argon2 (naive) vs the
    fast hasher; bcrypt beside them."""
    from fastapi_users.password import PasswordHelper
    from pwdlib import PasswordHash
    from pwdlib.hashers.bcrypt import BcryptHasher
    from pytest_fastapi_db.passwords import fast_password_hash

    from backend.main import create_app
    from testkit.settings import DEFAULT_PASSWORD

    def once(helper: PasswordHelper) -> float:
        started = time.perf_counter()
        verified, _ = helper.verify_and_update(DEFAULT_PASSWORD, helper.hash(DEFAULT_PASSWORD))
        assert verified
        return time.perf_counter() - started

    bcrypt_s: list[float] = []
    with scratch_app(ctx.engine) as (settings, _sync):
        apps = {
            "optimized": create_app(settings, password_hash=fast_password_hash()),
            "naive": create_app(settings),
        }
        helpers: dict[str, PasswordHelper] = {
            w: app.state.password_helper for w, app in apps.items()
        }
        bcrypt = PasswordHelper(PasswordHash((BcryptHasher(),)))
        counts = {"optimized": 2000, "naive": 5}
        for way in ctx.rounds():
            ctx.record(way, [once(helpers[way]) for _ in range(counts[way])])
            if way == "optimized":
                bcrypt_s += [once(bcrypt) for _ in range(3)]
    ctx.extra(
        naive_is="argon2 (production's PasswordHash)", bcrypt_us=statistics.median(bcrypt_s) * 1e6
    )


@figure("shared_data_ms", "ms", "shared video world per test", ratio=1, engines=SQLITE)
def shared_data(ctx: Context, samples: int = 100) -> None:
    """A test's video, transcript and vocabulary built per test vs a savepoint over one shared
    (the saving of SharedVideoTests), 100 samples a round."""
    from pytest_fastapi_db.isolation import rolled_back_connection, savepoint, session_on
    from pytest_fastapi_db.passwords import fast_password_hash

    from testkit.settings import DEFAULT_PASSWORD
    from testkit.shared_data import build_shared_video, shared_transaction

    hashed = fast_password_hash().hash(DEFAULT_PASSWORD)
    with scratch_app(ctx.engine) as (settings, _sync):

        async def naive(engine: AsyncEngine) -> list[float]:
            async def build() -> None:
                async with (
                    rolled_back_connection(engine) as connection,
                    session_on(connection) as session,
                ):
                    await build_shared_video(session, hashed)

            return await timed(samples, build)

        async def optimized(engine: AsyncEngine) -> list[float]:
            # SQLite has one writer: the shared world (and its write lock) lives for one round.
            async with shared_transaction(engine, hashed) as world:

                async def enter_and_leave() -> None:
                    async with savepoint(world.connection):
                        pass

                return await timed(samples, enter_and_leave)

        async def measure() -> None:
            async with async_engine_of(settings) as engine:
                for way in ctx.rounds():
                    ctx.record(way, await {"naive": naive, "optimized": optimized}[way](engine))

        asyncio.run(measure())


@figure("request_health_ms", "ms", "`GET /health` in-process")
def request_health(ctx: Context) -> None:
    """The floor of a request (routing, one session, `SELECT 1`) in-process, the optimized way
    only: 300 requests a round through httpx's ASGI transport, no pytest."""
    request_time(ctx, "/health", authenticated=False)


@figure("request_users_me_ms", "ms", "`GET /users/me` in-process")
def request_users_me(ctx: Context) -> None:
    """As request_health_ms, with FastAPI-Users' authentication: a bearer token, a lookup."""
    request_time(ctx, "/users/me", authenticated=True)


def request_time(
    ctx: Context, path: str, *, authenticated: bool, samples: int = 300, warm: int = 30
) -> None:
    """One route's in-process time, the app as the test fixtures build it (fast hash, every
    request's session on one rolled-back connection) over httpx's ASGI transport, no pytest.
    The user is registered and logged in through the API: nothing comes from the fixtures."""
    import httpx
    from pytest_fastapi_db.isolation import rolled_back_connection, session_on
    from pytest_fastapi_db.passwords import fast_password_hash

    from backend.db import get_async_session
    from backend.main import create_app
    from testkit.settings import DEFAULT_PASSWORD

    with scratch_app(ctx.engine) as (settings, _sync):
        app = create_app(settings, password_hash=fast_password_hash())

        async def measure() -> None:
            async with (
                async_engine_of(settings) as engine,
                rolled_back_connection(engine) as connection,
            ):

                async def session_override() -> AsyncIterator[AsyncSession]:
                    async with session_on(connection) as session:
                        yield session

                app.dependency_overrides[get_async_session] = session_override
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench"
                ) as client:
                    headers = await login(client, DEFAULT_PASSWORD) if authenticated else {}

                    async def once() -> None:
                        response = await client.get(path, headers=headers)
                        if response.status_code != 200:
                            raise RuntimeError(
                                f"GET {path}: {response.status_code} {response.text}"
                            )

                    await timed(warm, once)  # pool, statement caches, FastAPI's first-call work
                    for way in ctx.rounds(naive=0):
                        ctx.record(way, await timed(samples, once))

        asyncio.run(measure())
    ctx.extra(requests_per_round=samples)


async def login(client: httpx.AsyncClient, password: str) -> dict[str, str]:
    """Register a user and log in through the API; the bearer header for later requests."""
    registered = await client.post("/auth/register", json={"email": EMAIL, "password": password})
    if registered.status_code != 201:
        raise RuntimeError(f"register: {registered.status_code} {registered.text}")
    token = await client.post("/auth/jwt/login", data={"username": EMAIL, "password": password})
    if token.status_code != 200:
        raise RuntimeError(f"login: {token.status_code} {token.text}")
    return {"Authorization": f"Bearer {token.json()['access_token']}"}
