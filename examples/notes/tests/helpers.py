"""Signing up through the API, as a client of the app would."""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
_numbers = itertools.count()


def new_email() -> str:
    return f"user{next(_numbers)}@example.com"


def sign_up(client: TestClient, email: str | None = None) -> dict[str, str]:
    """Registers a new user and logs in; the headers that send its bearer token."""
    credentials = {"email": email or new_email(), "password": PASSWORD}
    assert client.post("/auth/register", json=credentials).status_code == 201
    response = client.post("/auth/login", json=credentials)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
