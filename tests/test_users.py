"""Passwords in backend/users.py: real hashes verify and upgrade, hashing stays off the event
loop, production hashes with argon2 and refuses a test hasher (the suite's fast hasher itself:
tests/suite/test_fast_hasher.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from fastapi_users.password import PasswordHelper
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher
from pytest_fastapi_db.passwords import FastHasher, fast_password_hash

from backend.config import Environment, Settings
from backend.dependencies import get_password_helper
from backend.main import ConfigurationError, create_app
from testkit.settings import DEFAULT_PASSWORD

HANG_GUARD = 30.0  # seconds: what a stuck test waits at most, never what one measures


@pytest.mark.slow
@pytest.mark.parametrize(
    ("hasher", "prefix"),
    [(Argon2Hasher(), "$argon2"), (BcryptHasher(), "$2b$")],
    ids=["argon2", "bcrypt"],
)
async def test_login_against_a_real_production_hash(
    client, user_factory, db_session, hasher, prefix, hash_prefix
):
    real_hash = hasher.hash("production-password")
    assert real_hash.startswith(prefix)
    created = await user_factory(password="production-password", hashed_password=real_hash)
    response = await client.post(
        "/auth/jwt/login", data={"username": created.email, "password": "production-password"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"
    # Verified, then upgraded to the current (first) hasher, as production upgrades bcrypt.
    await db_session.refresh(created.user)
    assert created.user.hashed_password.startswith(hash_prefix)


@pytest.mark.slow
async def test_wrong_password_against_a_real_hash_is_refused(client, user_factory):
    created = await user_factory(hashed_password=Argon2Hasher().hash("production-password"))
    response = await client.post(
        "/auth/jwt/login", data={"username": created.email, "password": "not-the-password"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "LOGIN_BAD_CREDENTIALS"


class HeldHasher(FastHasher):
    """The fast hasher, held at every hash until released: it stands for argon2's 0.1-0.3 s."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.released = threading.Event()

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.started.set()
        if not self.released.wait(HANG_GUARD):
            raise TimeoutError("nobody released the hash")
        return super().hash(password)


@pytest.mark.parametrize("route", ["register", "login"])
async def test_hashing_leaves_the_event_loop_free(client, user_factory, override, route):
    """While a password hashes, other requests are served: the hash runs in a worker thread.
    On the event loop (as FastAPI-Users hashes) it stalled every request of the process."""
    # A hash the held hasher verifies, also under `--real-password-hashing` (argon2's it would not).
    created = await user_factory(hashed_password=FastHasher().hash(DEFAULT_PASSWORD))
    held = HeldHasher()
    override(get_password_helper, PasswordHelper(PasswordHash((held,))))
    if route == "register":
        account = {"email": "held@example.com", "password": "long-enough-pw"}
        hashing = asyncio.create_task(client.post("/auth/register", json=account))
    else:
        form = {"username": created.email, "password": created.password}
        hashing = asyncio.create_task(client.post("/auth/jwt/login", data=form))

    assert await asyncio.to_thread(held.started.wait, HANG_GUARD)
    other = await client.get("/openapi.json")  # served while the hash is held
    still_hashing = not hashing.done()
    held.released.set()
    answered = await hashing

    assert other.status_code == 200
    assert still_hashing
    assert answered.status_code == (201 if route == "register" else 200), answered.text


def production_settings(tmp_path) -> Settings:
    return Settings(
        _env_file=None,
        app_env=Environment.PRODUCTION,
        jwt_secret="a-private-production-secret-0123456789",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'prod.sqlite3'}",
        media_dir=tmp_path / "media",
    )


@pytest.mark.slow
def test_production_hashes_with_argon2_and_verifies_bcrypt(tmp_path):
    helper = create_app(production_settings(tmp_path)).state.password_helper
    assert helper.hash("a-password").startswith("$argon2")
    valid, upgraded = helper.verify_and_update("a-password", BcryptHasher().hash("a-password"))
    assert valid
    assert upgraded is not None
    assert upgraded.startswith("$argon2")


def test_production_refuses_the_fast_hasher(tmp_path):
    with pytest.raises(ConfigurationError, match="APP_ENV=production"):
        create_app(production_settings(tmp_path), password_hash=fast_password_hash())
