import pytest
from pytest_fastapi_db.passwords import FastHasher
from sqlalchemy import select

from notes.models import User
from notes.security import hash_password

from .helpers import PASSWORD, new_email, sign_up


def test_register_stores_a_hash_and_returns_the_user_without_it(client, db_session):
    email = new_email()
    response = client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "email": email, "is_superuser": False}
    stored = db_session.scalar(select(User).where(User.email == email))
    assert stored is not None
    assert stored.hashed_password != PASSWORD


def test_an_email_registers_once(client):
    credentials = {"email": new_email(), "password": PASSWORD}
    assert client.post("/auth/register", json=credentials).status_code == 201
    again = client.post("/auth/register", json=credentials)
    assert again.status_code == 409
    assert "already has an account" in again.json()["detail"]


def test_register_refuses_a_bad_email_or_a_short_password(client):
    bad_email = client.post("/auth/register", json={"email": "nobody", "password": PASSWORD})
    short = client.post("/auth/register", json={"email": new_email(), "password": "short"})
    assert bad_email.status_code == 422
    assert bad_email.json()["detail"][0]["loc"] == ["body", "email"]
    assert short.status_code == 422
    assert short.json()["detail"][0]["loc"] == ["body", "password"]


def test_a_logged_in_user_is_who_the_token_says(client):
    email = new_email()
    headers = sign_up(client, email)
    me = client.get("/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == email


def test_login_refuses_a_wrong_password_and_an_unknown_email(client):
    email = new_email()
    sign_up(client, email)
    wrong = client.post("/auth/login", json={"email": email, "password": "not the password"})
    unknown = client.post("/auth/login", json={"email": new_email(), "password": PASSWORD})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json() == {"detail": "wrong email or password"}
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_no_token_or_an_unknown_one_is_401(client):
    missing = client.get("/users/me")
    forged = client.get("/users/me", headers={"Authorization": "Bearer not-a-token"})
    assert missing.status_code == 401
    assert "log in first" in missing.json()["detail"]
    assert forged.status_code == 401
    assert "log in again" in forged.json()["detail"]


def test_a_user_the_test_commits_can_log_in_through_the_app(client, db_session):
    email = new_email()
    db_session.add(User(email=email, hashed_password=hash_password(PASSWORD)))
    db_session.commit()
    response = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200


def test_passwords_hash_fast_during_the_tests(client, db_session, password_hash):
    """The `fastapi_db_hasher` line at work, in every module that imported the hasher."""
    if password_hash is None:
        pytest.skip("--real-password-hashing: the app's own argon2, as in production")
    email = new_email()
    client.post("/auth/register", json={"email": email, "password": PASSWORD})
    stored = db_session.scalar(select(User.hashed_password).where(User.email == email))
    assert FastHasher.identify(stored)
