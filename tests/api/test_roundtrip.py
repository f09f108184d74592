"""The bench's reference API test: register, log in, call a route with the token.

`nox -s bench` times this one test (`single_test_s`, `api_test_ms`; benchmarks.processes names
it) rather than one of test_auth.py, so its figures stay comparable when the other API tests
change. It is an ordinary test too: the round trip a new user makes must work.
"""

from __future__ import annotations

import httpx

EMAIL = "roundtrip@example.com"
PASSWORD = "a-long-enough-password"


async def test_register_login_and_read_me(client: httpx.AsyncClient):
    registered = await client.post("/auth/register", json={"email": EMAIL, "password": PASSWORD})
    assert registered.status_code == 201, registered.text

    login = await client.post("/auth/jwt/login", data={"username": EMAIL, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]

    me = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["id"] == registered.json()["id"]
    assert me.json()["email"] == EMAIL
