"""Only a live token, signed with JWT_SECRET for authentication, of an existing active user, opens
the API. Each bad token below is answered 401 like no token at all, on FastAPI-Users' routes
and the app's own alike. Tokens are minted with FastAPI-Users' `generate_jwt`, as its strategy
does, so each case differs from a valid token in exactly one respect.
"""

from __future__ import annotations

import base64
import json
import uuid
import warnings
from collections.abc import Callable

import httpx
import jwt
import pytest
from fastapi_users.jwt import generate_jwt
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.models import User
from tests.fixtures.clients import UserFactory
from tests.helpers import bearer

AUTH_AUDIENCE = "fastapi-users:auth"  # what FastAPI-Users' JWTStrategy writes and requires
ANOTHER_SECRET = "an-attackers-guess-at-the-secret-0123456789"
PROTECTED = ["/users/me", "/progress"]  # FastAPI-Users' route, then one of the app's


def mint(
    settings: Settings,
    user_id: object,
    *,
    secret: str | None = None,
    lifetime: int = 3600,
    audience: str | None = AUTH_AUDIENCE,
    algorithm: str = "HS256",
) -> str:
    """A token as FastAPI-Users writes it, with one thing changed at a time."""
    claims: dict[str, object] = {"sub": str(user_id)}
    if audience is not None:
        claims["aud"] = audience
    return generate_jwt(claims, secret or settings.jwt_secret, lifetime, algorithm)


def with_claims(token: str, **changes: object) -> str:
    """The same header and signature over a changed payload: a forgery without the secret."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, **changes}).encode()).rstrip(b"=")
    return f"{header}.{forged.decode()}.{signature}"


def hs512(settings: Settings, user: User) -> str:
    """The right secret under another algorithm than the one the app accepts."""
    with warnings.catch_warnings():
        # PyJWT (2.11 and later) wants 64 bytes for HS512; the test secret is sized for HS256.
        # Not our point. Matched by its text: older PyJWT, which FastAPI-Users 14 pins, has no
        # InsecureKeyLengthWarning to name.
        warnings.filterwarnings("ignore", "The HMAC key is .* bytes long", UserWarning)
        return mint(settings, user.id, algorithm="HS512")


TokenMaker = Callable[[Settings, User], str]

BAD_TOKENS: dict[str, TokenMaker] = {
    "expired": lambda s, u: mint(s, u.id, lifetime=-60),
    "signed with another secret": lambda s, u: mint(s, u.id, secret=ANOTHER_SECRET),
    "password-reset audience": lambda s, u: mint(s, u.id, audience="fastapi-users:reset"),
    "verification audience": lambda s, u: mint(s, u.id, audience="fastapi-users:verify"),
    "no audience": lambda s, u: mint(s, u.id, audience=None),
    "HS512 instead of HS256": lambda s, u: hs512(s, u),
    # PyJWT's stubs want a key; alg "none" is unsigned, and a None key is the forgery itself.
    "alg none": lambda s, u: jwt.encode({"sub": str(u.id), "aud": AUTH_AUDIENCE}, None, "none"),  # type: ignore[arg-type]
    "no subject": lambda s, u: generate_jwt({"aud": AUTH_AUDIENCE}, s.jwt_secret, 3600),
    "subject not a UUID": lambda s, u: mint(s, "not-a-uuid"),
    "subject of nobody": lambda s, u: mint(s, uuid.uuid4()),
    "payload swapped, signature kept": lambda s, u: with_claims(
        mint(s, u.id), sub=str(uuid.uuid4())
    ),
    "signature stripped": lambda s, u: mint(s, u.id).rsplit(".", 1)[0] + ".",
    "malformed: empty": lambda s, u: "",
    "malformed: not a JWT": lambda s, u: "not-a-jwt",
    "malformed: three dots of junk": lambda s, u: "a.b.c",
    "malformed: binary junk": lambda s, u: base64.b64encode(bytes(range(48))).decode(),
}


async def assert_refused(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for path in PROTECTED:
        response = await client.get(path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.json() == {"detail": "Unauthorized"}


async def test_a_token_minted_this_way_is_accepted(
    client: httpx.AsyncClient, user_factory: UserFactory, settings: Settings
):
    """Control: the 401s below come from the one defect of each token, not from `mint`."""
    created = await user_factory()

    for path in PROTECTED:
        response = await client.get(path, headers=bearer(mint(settings, created.user.id)))
        assert response.status_code == 200, (path, response.text)


@pytest.mark.parametrize("make", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
async def test_a_bad_token_is_401(
    client: httpx.AsyncClient, user_factory: UserFactory, settings: Settings, make: TokenMaker
):
    created = await user_factory()

    await assert_refused(client, bearer(make(settings, created.user)))


@pytest.mark.parametrize(
    "authorization",
    ["Basic {token}", "Token {token}", "Bearer", "Bearer  {token} extra", "{token}"],
)
async def test_a_valid_token_outside_the_bearer_scheme_is_401(
    client: httpx.AsyncClient, user_factory: UserFactory, settings: Settings, authorization: str
):
    token = mint(settings, (await user_factory()).user.id)

    await assert_refused(client, {"Authorization": authorization.format(token=token)})


async def test_a_token_in_the_query_string_is_ignored(
    client: httpx.AsyncClient, user_factory: UserFactory, settings: Settings
):
    token = mint(settings, (await user_factory()).user.id)

    response = await client.get("/users/me", params={"access_token": token})

    assert response.status_code == 401


async def test_the_token_of_a_deleted_user_is_401(
    client: httpx.AsyncClient,
    user_factory: UserFactory,
    settings: Settings,
    db_session: AsyncSession,
):
    created = await user_factory()
    token = mint(settings, created.user.id)
    assert (await client.get("/users/me", headers=bearer(token))).status_code == 200

    await db_session.execute(delete(User).filter_by(id=created.user.id))
    await db_session.commit()

    await assert_refused(client, bearer(token))


async def test_the_token_of_an_inactive_user_is_401(
    client: httpx.AsyncClient, user_factory: UserFactory, settings: Settings
):
    created = await user_factory(is_active=False)

    await assert_refused(client, bearer(mint(settings, created.user.id)))
