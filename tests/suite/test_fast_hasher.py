"""The suite's fast password hasher (pytest-fastapi-db's, put in by pytest.ini's
`fastapi_db_hasher_param`): stable, and what the app under test hashes with."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pytest_fastapi_db.passwords import FAST_PREFIX, FastHasher
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import User


def test_fast_hash_is_deterministic_and_verifies():
    hasher = FastHasher()
    digest = hasher.hash("s3cret-password")
    assert digest.startswith(FAST_PREFIX)
    assert digest == hasher.hash("s3cret-password")
    assert digest != hasher.hash("s3cret-passwore")
    assert hasher.verify("s3cret-password", digest)
    assert not hasher.verify("wrong-password", digest)
    assert FastHasher.identify(digest)
    assert not FastHasher.identify("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")


@pytest.mark.slow
def test_fast_hash_is_the_same_in_another_process():
    """Unlike `hash()`, the digest does not change per process (xdist workers, reruns)."""
    code = "from pytest_fastapi_db.passwords import FastHasher; print(FastHasher().hash('pw'))"
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="."
    )
    assert other.stdout.strip() == FastHasher().hash("pw")


def test_the_app_under_test_hashes_fast(app, hash_prefix):
    assert app.state.password_helper.hash("whatever-it-is").startswith(hash_prefix)


async def test_registration_stores_a_fast_hash(client, db_session: AsyncSession, hash_prefix):
    response = await client.post(
        "/auth/register", json={"email": "fast@example.com", "password": "long-enough-pw"}
    )
    assert response.status_code == 201
    user = await db_session.get(User, response.json()["id"])
    assert user is not None
    assert user.hashed_password.startswith(hash_prefix)
