"""Accounts through FastAPI-Users: registration, JWT login, the current user, admin routes.

The password hashers themselves are covered in tests/test_users.py (argon2/bcrypt logins) and
tests/suite/test_fast_hasher.py; here passwords only travel through the HTTP routes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from fastapi_users.authentication import JWTStrategy
from fastapi_users.jwt import decode_jwt
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import User, Video
from backend.users import MIN_PASSWORD_LENGTH
from tests.helpers import bearer, error_locations, reloaded, user_folder

NEW_PASSWORD = "a-brand-new-passphrase"


async def register(
    client: httpx.AsyncClient, email: str, password: str, **extra: object
) -> httpx.Response:
    return await client.post("/auth/register", json={"email": email, "password": password, **extra})


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    # OAuth2 password flow: a form with `username`, not JSON with `email`.
    return await client.post("/auth/jwt/login", data={"username": email, "password": password})


async def count_users(session: AsyncSession, email: str) -> int:
    return await session.scalar(select(func.count()).select_from(User).filter_by(email=email)) or 0


class TestRegister:
    async def test_creates_an_active_unprivileged_user(self, client, db_session):
        response = await register(client, "new@example.com", "long-enough-pw")

        assert response.status_code == 201
        body = response.json()
        assert body["email"] == "new@example.com"
        assert (body["is_active"], body["is_superuser"], body["is_verified"]) == (
            True,
            False,
            False,
        )
        assert "password" not in body
        assert "hashed_password" not in body
        stored = await reloaded(db_session, User, uuid.UUID(body["id"]))
        assert stored is not None
        assert stored.hashed_password != "long-enough-pw"

    async def test_a_client_cannot_make_itself_superuser(self, client, db_session):
        response = await register(
            client, "sneaky@example.com", "long-enough-pw", is_superuser=True, is_verified=True
        )

        assert response.status_code == 201
        stored = await reloaded(db_session, User, uuid.UUID(response.json()["id"]))
        assert stored is not None
        assert (stored.is_superuser, stored.is_verified) == (False, False)

    async def test_duplicate_email_is_refused(self, client, user_factory, db_session):
        existing = await user_factory()

        response = await register(client, existing.email, "long-enough-pw")

        # A conflict with an existing account, not a malformed request: 409, with
        # FastAPI-Users' own code (it answers 400, which the schema calls malformed input).
        assert response.status_code == 409
        assert response.json() == {"detail": "REGISTER_USER_ALREADY_EXISTS"}
        assert await count_users(db_session, existing.email) == 1

    async def test_short_password_is_refused_with_a_reason(self, client, db_session):
        short = "x" * (MIN_PASSWORD_LENGTH - 1)

        response = await register(client, "short@example.com", short)

        assert response.status_code == 400
        detail = response.json()["detail"]
        assert detail["code"] == "REGISTER_INVALID_PASSWORD"
        assert f"at least {MIN_PASSWORD_LENGTH} characters" in detail["reason"]
        assert await count_users(db_session, "short@example.com") == 0

    async def test_password_of_exactly_the_minimum_length_is_accepted(self, client):
        response = await register(client, "edge@example.com", "x" * MIN_PASSWORD_LENGTH)
        assert response.status_code == 201

    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            ("ana@example.com", "ana@example.com"),
            ("Ana.Lopez@EXAMPLE.com", "Ana.Lopez@example.com"),
            ("  ana@example.com\n", "ana@example.com"),
            ("Ana López <ana@example.com>", "ana@example.com"),
            ('"López, Ana" <ana@example.com>', "ana@example.com"),
            ("ana@bücher.test", "ana@bücher.test"),  # a reserved domain: no mail is sent
        ],
    )
    async def test_emails_are_stored_as_the_address_alone(self, client, db_session, given, stored):
        """What pydantic's EmailStr accepted before the schema said it (blanks around, a display
        name) is still accepted, and stored as the address, its domain lowercased."""
        response = await register(client, given, "long-enough-pw")

        assert response.status_code == 201, response.text
        assert response.json()["email"] == stored
        assert await count_users(db_session, stored) == 1

    @pytest.mark.parametrize(
        "email",
        ["not-an-email", "", "two@@example.com", "@example.com", "a b@example.com", "a@example"],
    )
    async def test_invalid_email_is_422_naming_the_field(self, client, email):
        response = await register(client, email, "long-enough-pw")

        assert response.status_code == 422
        assert ["body", "email"] in error_locations(response)

    @pytest.mark.parametrize("missing", ["email", "password"])
    async def test_missing_field_is_422_naming_it(self, client, missing):
        payload = {"email": "a@example.com", "password": "long-enough-pw"}
        del payload[missing]

        response = await client.post("/auth/register", json=payload)

        assert response.status_code == 422
        assert ["body", missing] in error_locations(response)


class TestLogin:
    async def test_returns_a_bearer_token_for_the_user(self, client, user_factory):
        created = await user_factory()

        response = await login(client, created.email, created.password)

        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        me = await client.get("/users/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200
        assert me.json()["id"] == str(created.user.id)

    async def test_token_lifetime_follows_the_settings(self, client, user_factory, settings):
        created = await user_factory()
        before = datetime.now(UTC).timestamp()

        token = (await login(client, created.email, created.password)).json()["access_token"]

        claims = decode_jwt(token, settings.jwt_secret, ["fastapi-users:auth"])
        assert claims["sub"] == str(created.user.id)
        expected = before + settings.jwt_lifetime_seconds
        assert expected - 5 <= claims["exp"] <= expected + 5

    async def test_email_is_matched_case_insensitively(self, client, user_factory):
        created = await user_factory(email="mixed.case@example.com")

        response = await login(client, "Mixed.Case@Example.com", created.password)

        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("email", "password"),
        [
            ("known", "wrong-password"),
            ("nobody@example.com", "correct-horse-battery"),
        ],
        ids=["wrong-password", "unknown-email"],
    )
    async def test_bad_credentials_are_400_and_do_not_say_which(
        self, client, user_factory, email, password
    ):
        created = await user_factory()

        response = await login(client, created.email if email == "known" else email, password)

        assert response.status_code == 400
        assert response.json() == {"detail": "LOGIN_BAD_CREDENTIALS"}

    async def test_inactive_user_cannot_log_in(self, client, user_factory):
        created = await user_factory(is_active=False)

        response = await login(client, created.email, created.password)

        assert response.status_code == 400
        assert response.json() == {"detail": "LOGIN_BAD_CREDENTIALS"}

    @pytest.mark.parametrize("missing", ["username", "password"])
    async def test_missing_form_field_is_422_naming_it(self, client, missing):
        form = {"username": "a@example.com", "password": "whatever-pw"}
        del form[missing]

        response = await client.post("/auth/jwt/login", data=form)

        assert response.status_code == 422
        assert ["body", missing] in error_locations(response)

    async def test_logout_answers_204_and_needs_a_token(self, client, auth_client):
        assert (await auth_client.post("/auth/jwt/logout")).status_code == 204
        assert (await client.post("/auth/jwt/logout")).status_code == 401


async def test_register_login_then_use_the_api(client, video_factory):
    """The whole account flow over HTTP, as a browser client does it."""
    registered = await register(client, "flow@example.com", "flow-password-1")
    assert registered.status_code == 201

    logged_in = await login(client, "flow@example.com", "flow-password-1")
    assert logged_in.status_code == 200
    headers = bearer(logged_in.json()["access_token"])

    me = await client.get("/users/me", headers=headers)
    assert me.json()["email"] == "flow@example.com"
    created = await video_factory(client, None, title="First", headers=headers)  # asserts 201
    listed = await client.get("/videos", headers=headers)
    assert [video["id"] for video in listed.json()["items"]] == [created["id"]]


class TestToken:
    """The API accepts only live tokens, signed with JWT_SECRET, of active users."""

    async def test_no_token_is_401(self, client):
        response = await client.get("/users/me")
        assert response.status_code == 401
        assert response.json() == {"detail": "Unauthorized"}

    async def test_garbage_token_is_401(self, client):
        assert (await client.get("/users/me", headers=bearer("not.a.jwt"))).status_code == 401

    async def test_expired_token_is_401(self, client, user_factory, settings):
        created = await user_factory()
        expired: JWTStrategy[User, uuid.UUID] = JWTStrategy(
            secret=settings.jwt_secret, lifetime_seconds=-60
        )

        token = await expired.write_token(created.user)

        assert (await client.get("/users/me", headers=bearer(token))).status_code == 401

    async def test_token_signed_with_another_secret_is_401(self, client, user_factory, settings):
        created = await user_factory()
        forged: JWTStrategy[User, uuid.UUID] = JWTStrategy(
            secret="x" * 32 + settings.jwt_secret, lifetime_seconds=3600
        )
        token = await forged.write_token(created.user)

        assert (await client.get("/users/me", headers=bearer(token))).status_code == 401

    async def test_token_of_a_deactivated_user_is_401(self, client_factory, user_factory):
        created = await user_factory(is_active=False)
        deactivated = await client_factory(created.user)

        assert (await deactivated.get("/users/me")).status_code == 401


class TestMe:
    async def test_read(self, auth_client):
        response = await auth_client.get("/users/me")

        assert response.status_code == 200
        assert response.json()["id"] == str(auth_client.user.id)
        assert response.json()["email"] == auth_client.user.email

    async def test_patch_without_token_is_401(self, client):
        response = await client.patch("/users/me", json={"password": NEW_PASSWORD})
        assert response.status_code == 401

    async def test_change_password_then_log_in_with_it(self, client, user_factory, client_factory):
        created = await user_factory()
        me = await client_factory(created.user)

        response = await me.patch("/users/me", json={"password": NEW_PASSWORD})

        assert response.status_code == 200
        assert (await login(client, created.email, NEW_PASSWORD)).status_code == 200
        old = await login(client, created.email, created.password)
        assert old.json() == {"detail": "LOGIN_BAD_CREDENTIALS"}

    async def test_short_new_password_is_refused_and_the_old_one_still_works(
        self, client, user_factory, client_factory
    ):
        created = await user_factory()
        me = await client_factory(created.user)

        response = await me.patch("/users/me", json={"password": "short"})

        assert response.status_code == 400
        detail = response.json()["detail"]
        assert detail["code"] == "UPDATE_USER_INVALID_PASSWORD"
        assert f"at least {MIN_PASSWORD_LENGTH} characters" in detail["reason"]
        assert (await login(client, created.email, created.password)).status_code == 200

    async def test_change_email(self, auth_client, db_session):
        response = await auth_client.patch("/users/me", json={"email": "renamed@example.com"})

        assert response.status_code == 200
        assert response.json()["email"] == "renamed@example.com"
        stored = await reloaded(db_session, User, auth_client.user.id)
        assert stored is not None
        assert stored.email == "renamed@example.com"

    async def test_taking_another_users_email_is_409(self, auth_client, other_client):
        response = await auth_client.patch("/users/me", json={"email": other_client.user.email})

        assert response.status_code == 409
        assert response.json() == {"detail": "UPDATE_USER_EMAIL_ALREADY_EXISTS"}

    async def test_invalid_email_is_422_naming_the_field(self, auth_client):
        response = await auth_client.patch("/users/me", json={"email": "nope"})

        assert response.status_code == 422
        assert ["body", "email"] in error_locations(response)

    async def test_a_user_cannot_grant_itself_privileges(self, auth_client, db_session):
        response = await auth_client.patch(
            "/users/me", json={"is_superuser": True, "is_active": False}
        )

        assert response.status_code == 200
        stored = await reloaded(db_session, User, auth_client.user.id)
        assert stored is not None
        assert (stored.is_superuser, stored.is_active) == (False, True)


class TestUserAdministration:
    """`/users/{id}` is for superusers. Others get 403 whether or not the id exists, so the
    answer reveals nothing about other accounts (FastAPI-Users' behaviour, kept on purpose).
    """

    @pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
    @pytest.mark.parametrize("target", ["other", "missing"])
    async def test_ordinary_users_get_403_for_any_id(
        self, auth_client, other_client, db_session, method, target
    ):
        user_id = other_client.user.id if target == "other" else uuid.uuid4()
        json = {"email": "stolen@example.com"} if method == "PATCH" else None

        response = await auth_client.request(method, f"/users/{user_id}", json=json)

        assert response.status_code == 403
        stored = await reloaded(db_session, User, other_client.user.id)
        assert stored is not None
        assert stored.email == other_client.user.email

    @pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
    async def test_anonymous_is_401(self, client, other_client, method):
        response = await client.request(method, f"/users/{other_client.user.id}")
        assert response.status_code == 401

    async def test_superuser_reads_a_user_and_gets_404_for_a_missing_one(
        self, client_factory, user_factory, other_client
    ):
        admin = await client_factory((await user_factory(is_superuser=True)).user)

        found = await admin.get(f"/users/{other_client.user.id}")
        missing = await admin.get(f"/users/{uuid.uuid4()}")

        assert found.status_code == 200
        assert found.json()["email"] == other_client.user.email
        assert missing.status_code == 404

    async def test_deleting_a_user_deletes_their_videos(
        self, client_factory, user_factory, other_client, db_session, video_factory
    ):
        """ON DELETE CASCADE only works with SQLite's foreign keys on, which the engine sets."""
        admin = await client_factory((await user_factory(is_superuser=True)).user)
        await video_factory(other_client, None, title="Mine", language="fr")  # asserts 201

        response = await admin.delete(f"/users/{other_client.user.id}")

        assert response.status_code == 204
        assert await reloaded(db_session, User, other_client.user.id) is None
        left = select(func.count()).where(Video.owner_id == other_client.user.id)
        assert await db_session.scalar(left) == 0

    async def test_deleting_a_user_removes_their_media_folder(
        self, client_factory, user_factory, other_client, settings, video_factory
    ):
        admin = await client_factory((await user_factory(is_superuser=True)).user)
        await video_factory(other_client, b"frames", title="Mine", language="fr")  # asserts 201
        folder = user_folder(settings, other_client.user)
        assert any(folder.iterdir())

        assert (await admin.delete(f"/users/{other_client.user.id}")).status_code == 204

        assert not folder.exists()
