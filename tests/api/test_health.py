"""GET /health: what a load balancer polls, so it must check the database for real."""

from __future__ import annotations

from pathlib import Path

import httpx

from backend.config import Environment, Settings
from backend.main import create_app


async def test_ok_without_a_token(client):
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_ok_for_a_logged_in_user_too(auth_client):
    assert (await auth_client.get("/health")).json() == {"status": "ok", "database": "ok"}


async def test_unreachable_database_is_503_with_retry_after(tmp_path: Path):
    """A database file in a folder that does not exist cannot be opened: unhealthy, not a 500."""
    settings = Settings(
        _env_file=None,
        app_env=Environment.TEST,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}",
        media_dir=tmp_path / "media",
    )
    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/health")
    finally:
        await app.state.engine.dispose()

    assert response.status_code == 503
    assert response.json() == {"detail": "the database cannot be reached"}
    assert response.headers["retry-after"] == "30"
