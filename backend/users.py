"""FastAPI-Users wiring: the user manager, JWT authentication and the current-user dependency."""

from __future__ import annotations

import asyncio
import copy
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users import (
    BaseUserManager,
    FastAPIUsers,
    InvalidPasswordException,
    UUIDIDMixin,
    exceptions,
)
from fastapi_users import schemas as user_schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.openapi import OpenAPIResponseType
from fastapi_users.password import PasswordHelperProtocol
from fastapi_users.router.common import ErrorCode, ErrorModel
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher
from pydantic import AfterValidator, Field

from backend.api.common import BLANK, STRICT
from backend.config import Settings
from backend.db import SessionDep
from backend.dependencies import PasswordHelperDep, SettingsDep
from backend.models import User
from backend.services import media

MIN_PASSWORD_LENGTH = 8
MAX_EMAIL_LENGTH = 320  # the column's length
# The minimum is in the schema only: the user manager checks it (400 `..._INVALID_PASSWORD`, as
# FastAPI-Users documents), so a short password keeps the answer clients know.
Password = Annotated[
    str,
    Field(
        description=f"At least {MIN_PASSWORD_LENGTH} characters (else 400 `..._INVALID_PASSWORD`)",
        json_schema_extra={"minLength": MIN_PASSWORD_LENGTH},
    ),
]


def production_password_hash() -> PasswordHash:
    """argon2 for every new hash; bcrypt hashes still verify and are upgraded on login."""
    return PasswordHash((Argon2Hasher(), BcryptHasher()))


# An email address, checked by a pattern that means the same to every client and to this server
# (JSON Schema's `format: email` is checked differently by each validator, and email-validator
# refuses more than any schema says: reserved domains such as `.test`). One `@`, no blanks,
# control characters or angle brackets, a domain with a dot, 320 characters at most (the
# column). Nothing is sent to it: it is a login name. As pydantic's `EmailStr` did before, blanks
# around it and a display name (`Ana <ana@example.com>`) are allowed and not stored.
_NEVER = rf"<>\x00-\x20\x7f{BLANK}"  # in an address
_ADDRESS = (
    rf"(?=[^{_NEVER}]{{1,{MAX_EMAIL_LENGTH}}}(?:>|[{BLANK}]*$))"  # its length
    rf"[^@{_NEVER}]+@[^@.{_NEVER}]+(?:\.[^@.{_NEVER}]+)+"
)
EMAIL_PATTERN = rf'^[{BLANK}]*(?:(?:[^<>"]|"[^"]*")*<{_ADDRESS}>|{_ADDRESS})[{BLANK}]*$'
# Python's `re`: pydantic's own engine has no lookahead.
_EMAIL = re.compile(EMAIL_PATTERN)


def _stored_email(email: str) -> str:
    """The address alone, its domain lowercased (letter for letter: never longer)."""
    if not _EMAIL.fullmatch(email):
        raise ValueError(
            "must be an email address: one @, a domain with a dot, no blanks or angle brackets, "
            f"{MAX_EMAIL_LENGTH} characters at most"
        )
    address = email.strip()
    if address.endswith(">"):
        address = address[address.rindex("<") + 1 : -1]
    local, domain = address.rsplit("@", 1)
    domain = "".join(char.lower() if len(char.lower()) == 1 else char for char in domain)
    return f"{local}@{domain}"


Email = Annotated[
    str,
    AfterValidator(_stored_email),
    Field(
        description="An email address (stored without a display name, its domain lowercased)",
        json_schema_extra={"pattern": EMAIL_PATTERN},
    ),
]


class UserRead(user_schemas.BaseUser[uuid.UUID]):
    email: str


class UserCreate(user_schemas.BaseUserCreate):
    model_config = STRICT
    email: Email
    password: Password


def _may_be_left_out() -> Any:
    # A factory, not `default=None`, so the schema shows no null default either.
    return Field(default_factory=lambda: None)


class UserUpdate(user_schemas.BaseUserUpdate):
    # Each field may be left out (unchanged) but not null: FastAPI-Users would write the null
    # into a NOT NULL column, a 500.
    model_config = STRICT
    password: Password = _may_be_left_out()
    email: Email = _may_be_left_out()
    is_active: bool = _may_be_left_out()
    is_superuser: bool = _may_be_left_out()
    is_verified: bool = _may_be_left_out()


@contextmanager
def email_taken_is_409(code: str) -> Iterator[None]:
    """An email already taken is a conflict with existing state: 409 with FastAPI-Users' own
    code (the library says 400, which the schema keeps for requests that cannot be read)."""
    try:
        yield
    except exceptions.UserAlreadyExists:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=code) from None


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    """FastAPI-Users' manager, hashing in a worker thread.

    The library hashes and verifies passwords synchronously, on the event loop: while argon2
    works (by design the slowest step of a request; `nox -s bench` measures it), no other
    request of the process moves, and on SQLite a request holding the write lock cannot
    commit, so every other writer waits too (README, "SQLite with many users at once").
    `create` and `authenticate` are the library's steps with the hashing awaited in a thread
    (argon2 and bcrypt release the GIL meanwhile).
    """

    def __init__(
        self,
        user_db: SQLAlchemyUserDatabase[User, uuid.UUID],
        password_helper: PasswordHelperProtocol,
        settings: Settings,
    ) -> None:
        super().__init__(user_db, password_helper)
        self.reset_password_token_secret = settings.jwt_secret
        self.verification_token_secret = settings.jwt_secret
        self.media_dir = settings.media_dir

    async def create(
        self,
        user_create: user_schemas.BaseUserCreate,
        safe: bool = False,
        request: Request | None = None,
    ) -> User:
        with email_taken_is_409(ErrorCode.REGISTER_USER_ALREADY_EXISTS):
            await self.validate_password(user_create.password, user_create)
            if await self.user_db.get_by_email(user_create.email) is not None:
                raise exceptions.UserAlreadyExists()
            to_dict = (
                user_create.create_update_dict if safe else user_create.create_update_dict_superuser
            )
            user_dict: dict[str, Any] = to_dict()  # type: ignore[no-untyped-call]  # as the library
            password = user_dict.pop("password")
            user_dict["hashed_password"] = await asyncio.to_thread(
                self.password_helper.hash, password
            )
            created = await self.user_db.create(user_dict)
            await self.on_after_register(created, request)
            return created

    async def authenticate(self, credentials: OAuth2PasswordRequestForm) -> User | None:
        try:
            user = await self.get_by_email(credentials.username)
        except exceptions.UserNotExists:
            # Hash anyway, so an unknown email takes as long as a wrong password.
            await asyncio.to_thread(self.password_helper.hash, credentials.password)
            return None
        verified, new_hash = await asyncio.to_thread(
            self.password_helper.verify_and_update, credentials.password, user.hashed_password
        )
        if not verified:
            return None
        if new_hash is not None:  # a stronger scheme than the stored one's: upgrade it
            await self.user_db.update(user, {"hashed_password": new_hash})
        return user

    async def update(
        self,
        user_update: user_schemas.BaseUserUpdate,
        user: User,
        safe: bool = False,
        request: Request | None = None,
    ) -> User:
        with email_taken_is_409(ErrorCode.UPDATE_USER_EMAIL_ALREADY_EXISTS):
            return await super().update(user_update, user, safe, request)

    async def on_after_delete(self, user: User, request: Request | None = None) -> None:
        # The database cascades to the user's videos; their files go the same way.
        media.remove_user_folder(self.media_dir, user.id)

    # The library types `user` with a free TypeVar bound to BaseUserCreate; only the bound
    # itself is a valid override of that.
    async def validate_password(
        self, password: str, user: user_schemas.BaseUserCreate | User
    ) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidPasswordException(
                reason=f"Password must be at least {MIN_PASSWORD_LENGTH} characters long"
            )


async def get_user_db(
    session: SessionDep,
) -> AsyncIterator[SQLAlchemyUserDatabase[User, uuid.UUID]]:
    yield SQLAlchemyUserDatabase(session, User)


UserDatabaseDep = Annotated[SQLAlchemyUserDatabase[User, uuid.UUID], Depends(get_user_db)]


async def get_user_manager(
    password_helper: PasswordHelperDep, settings: SettingsDep, user_db: UserDatabaseDep
) -> AsyncIterator[UserManager]:
    yield UserManager(user_db, password_helper, settings)


async def get_jwt_strategy(settings: SettingsDep) -> JWTStrategy[User, uuid.UUID]:
    return JWTStrategy(secret=settings.jwt_secret, lifetime_seconds=settings.jwt_lifetime_seconds)


class StatelessBearerTransport(BearerTransport):
    """Bearer tokens. A JWT cannot be revoked, so logout answers 204, and the schema says so
    (FastAPI-Users documents only 200 for it)."""

    @staticmethod
    def get_openapi_logout_responses_success() -> OpenAPIResponseType:
        return {status.HTTP_204_NO_CONTENT: {"description": "Nothing to revoke: drop the token"}}


auth_backend = AuthenticationBackend(
    name="jwt",
    transport=StatelessBearerTransport(tokenUrl="auth/jwt/login"),
    get_strategy=get_jwt_strategy,
)
# FastAPI-Users documents these codes under 400; UserManager answers them with 409.
EMAIL_TAKEN_CODES = (
    ErrorCode.REGISTER_USER_ALREADY_EXISTS,
    ErrorCode.UPDATE_USER_EMAIL_ALREADY_EXISTS,
)


def email_taken_as_409(router: APIRouter) -> APIRouter:
    """`router` (FastAPI-Users' register or users router) whose schema says what UserManager
    answers: each route documenting an email-taken code under 400 has it under 409 instead."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        responses = copy.deepcopy(route.responses)
        content = responses.get(status.HTTP_400_BAD_REQUEST, {}).get("content", {})
        examples = content.get("application/json", {}).get("examples", {})
        taken = {code: examples.pop(code) for code in EMAIL_TAKEN_CODES if code in examples}
        if taken:
            responses[status.HTTP_409_CONFLICT] = {
                "model": ErrorModel,
                "description": "The email belongs to another user",
                "content": {"application/json": {"examples": taken}},
            }
            route.responses = responses
    return router


fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])
CurrentUser = Annotated[User, Depends(fastapi_users.current_user(active=True))]
