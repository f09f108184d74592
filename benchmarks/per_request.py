"""Per-request figures: one route's in-process time through the app, the optimized way only.

What an API test pays per request once isolation and hashing are cheap: the app as the test
fixtures build it (fast password hash, every request's session joining one connection's
transaction, rolled back at the end), called over httpx's ASGI transport, no server, no
pytest. `GET /health` is the floor of a request (routing, one session, `SELECT 1`);
`GET /users/me` adds FastAPI-Users' authentication (bearer token, user lookup). The user is
registered and logged in through the API, so the figure needs nothing from the test fixtures.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from benchmarks.core import Bench, Figure, engine_key, rounded
from benchmarks.in_process import async_engine_of, scratch_app

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.ext.asyncio import AsyncSession

# Route name (the figure's `request_<name>_ms`) -> the path asked, and whether it needs a login.
ROUTES = {"health": ("/health", False), "users_me": ("/users/me", True)}
EMAIL = "bench@example.com"


def request_time(
    bench: Bench, rounds: int, engine: str, route: str, samples: int = 300, warm: int = 30
) -> Figure:
    """`request_<route>_ms`: median in-process time of one request, `samples` per round."""
    from pytest_fastapi_db.isolation import rolled_back_connection, session_on
    from pytest_fastapi_db.passwords import fast_password_hash

    from backend.db import get_async_session
    from backend.main import create_app
    from testkit.settings import DEFAULT_PASSWORD

    path, authenticated = ROUTES[route]
    figure = Figure(
        engine_key(f"request_{route}_ms", engine),
        "ms",
        f"in-process `GET {path}`{' with a bearer token' if authenticated else ''} through "
        "httpx's ASGI transport, the app as the test fixtures build it (fast hash, session on a "
        f"rolled-back connection), no pytest; median of {samples} requests per round, "
        "optimized only",
        "shown (what an API test pays per request)",
    )
    spread: list[float] = []
    with scratch_app(engine) as (settings, _sync):
        app = create_app(settings, password_hash=fast_password_hash())

        async def measure() -> None:
            import httpx

            async with (
                async_engine_of(settings) as async_engine,
                rolled_back_connection(async_engine) as connection,
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

                    async def once() -> float:
                        started = time.perf_counter()
                        response = await client.get(path, headers=headers)
                        elapsed = time.perf_counter() - started
                        if response.status_code != 200:
                            raise RuntimeError(
                                f"GET {path}: {response.status_code} {response.text}"
                            )
                        return elapsed

                    for _ in range(warm):  # pool, statement caches, FastAPI's first-call work
                        await once()
                    for index in range(rounds):
                        bench.progress(f"{figure.key}: round {index + 1}/{rounds}, optimized")
                        times = [await once() * 1000 for _ in range(samples)]
                        figure.add("optimized", statistics.median(times))
                        spread.append(statistics.quantiles(times, n=10)[-1])
                app.dependency_overrides.clear()

        asyncio.run(measure())
    figure.extra = {"p90_ms": rounded(statistics.median(spread)), "requests_per_round": samples}
    return figure


async def login(client: httpx.AsyncClient, password: str) -> dict[str, str]:
    """Register a user and log in through the API; the bearer header for later requests."""
    registered = await client.post("/auth/register", json={"email": EMAIL, "password": password})
    if registered.status_code != 201:
        raise RuntimeError(f"register: {registered.status_code} {registered.text}")
    token = await client.post("/auth/jwt/login", data={"username": EMAIL, "password": password})
    if token.status_code != 200:
        raise RuntimeError(f"login: {token.status_code} {token.text}")
    return {"Authorization": f"Bearer {token.json()['access_token']}"}
