from sqlalchemy import select

from notes.config import settings
from notes.models import User

from .helpers import sign_up


def test_the_superuser_seeded_at_start_is_there(db_session):
    seeded = db_session.scalar(select(User).where(User.email == settings.first_superuser_email))
    assert seeded is not None
    assert seeded.is_superuser


def test_the_superuser_logs_in_and_lists_the_users(client):
    password = settings.first_superuser_password.get_secret_value()
    login = client.post(
        "/auth/login", json={"email": settings.first_superuser_email, "password": password}
    )
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    listed = client.get("/users", headers=headers)
    assert listed.status_code == 200
    assert settings.first_superuser_email in [user["email"] for user in listed.json()]


def test_a_plain_user_may_not_list_the_users(client):
    response = client.get("/users", headers=sign_up(client))
    assert response.status_code == 403


def test_the_superuser_reads_another_users_note(client):
    note = client.post("/notes", json={"title": "mine"}, headers=sign_up(client)).json()
    password = settings.first_superuser_password.get_secret_value()
    login = client.post(
        "/auth/login", json={"email": settings.first_superuser_email, "password": password}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.get(f"/notes/{note['id']}", headers=headers).json()["title"] == "mine"
