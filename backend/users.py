"""FastAPI-Users wiring: the user manager, JWT authentication and the current-user dependency."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request, status
from fastapi_users import BaseUserManager, FastAPIUsers, InvalidPasswordException, UUIDIDMixin
from fastapi_users import schemas as user_schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.openapi import OpenAPIResponseType
from fastapi_users.password import PasswordHelperProtocol
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher
from pydantic import EmailStr, Field

from backend.api.common import STRICT
from backend.config import Settings
from backend.db import SessionDep
from backend.dependencies import PasswordHelperDep, SettingsDep
from backend.models import User
from backend.services import media

MIN_PASSWORD_LENGTH = 8


def production_password_hash() -> PasswordHash:
    """argon2 for every new hash; bcrypt hashes still verify and are upgraded on login."""
    return PasswordHash((Argon2Hasher(), BcryptHasher()))


class UserRead(user_schemas.BaseUser[uuid.UUID]):
    pass


class UserCreate(user_schemas.BaseUserCreate):
    model_config = STRICT


def _may_be_left_out() -> Any:
    # A factory, not `default=None`, so the schema shows no null default either.
    return Field(default_factory=lambda: None)


class UserUpdate(user_schemas.BaseUserUpdate):
    # Each field may be left out (unchanged) but not null: FastAPI-Users would write the null
    # into a NOT NULL column, a 500.
    model_config = STRICT
    password: str = _may_be_left_out()
    email: EmailStr = _may_be_left_out()
    is_active: bool = _may_be_left_out()
    is_superuser: bool = _may_be_left_out()
    is_verified: bool = _may_be_left_out()


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
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
fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])
CurrentUser = Annotated[User, Depends(fastapi_users.current_user(active=True))]
