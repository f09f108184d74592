"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from fastapi_users.password import PasswordHelper
from pwdlib import PasswordHash
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from backend.api import games, health, translations, videos, vocabulary
from backend.api.common import errors
from backend.body_limit import BodyLimit
from backend.config import Environment, Settings
from backend.db import DatabaseBusy, build_async_engine, session_factory
from backend.schema import prepare_schema
from backend.services.errors import ServiceUnavailable
from backend.services.transcription import WhisperTranscriptionService
from backend.users import (
    UserCreate,
    UserRead,
    UserUpdate,
    auth_backend,
    email_taken_as_409,
    fastapi_users,
    production_password_hash,
)


class ConfigurationError(RuntimeError):
    """The app was asked to start in a way that is unsafe or impossible."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # Outside production a new or outdated database is migrated to head; production only
    # checks (SchemaNotReady), since migrating is a deliberate step there (`alembic upgrade
    # head`). `python -m backend` runs the same check before the server starts, to say so
    # without a traceback.
    await prepare_schema(
        app.state.engine, may_migrate=settings.app_env is not Environment.PRODUCTION
    )
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    yield
    if app.state.translation_client is not None:
        await app.state.translation_client.aclose()
    await app.state.engine.dispose()


async def service_unavailable(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceUnavailable)
    return JSONResponse(
        {"detail": error.detail},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(error.retry_after)},
    )


async def no_connection_in_time(request: Request, error: Exception) -> JSONResponse:
    """Every pooled connection stayed busy past the pool's timeout: the database is busy."""
    return await service_unavailable(request, DatabaseBusy())


def documented_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the schema documents for the first path template that matches `path`."""
    for template, operations in app.openapi()["paths"].items():
        if compile_path(template)[0].match(path):
            return sorted(method.upper() for method in operations)
    return []


async def method_not_allowed(request: Request, error: Exception) -> JSONResponse:
    """A 405 whose Allow lists every method of the resource (RFC 9110): the router's own lists
    only those of the first route whose path matched (GET of GET+DELETE /videos/{id})."""
    assert isinstance(error, HTTPException)
    methods = documented_methods(request.app, request.url.path)
    allow = ", ".join(methods) if methods else (error.headers or {}).get("Allow", "")
    return JSONResponse(
        {"detail": error.detail},
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
        headers={"Allow": allow},
    )


def create_app(
    settings: Settings | None = None, *, password_hash: PasswordHash | None = None
) -> FastAPI:
    """Build the app. Nothing connects or loads here: engines and models are lazy.

    `password_hash` lets tests put a fast hasher in front of the real ones; production
    refuses it, since a weak hash of a real password is a leak waiting to happen.
    """
    settings = settings or Settings()
    if password_hash is not None and settings.app_env is Environment.PRODUCTION:
        raise ConfigurationError(
            "a custom password hasher was given but APP_ENV=production: production always "
            "hashes with argon2. Remove the override or set APP_ENV=development/test."
        )
    # Every route reaches the database, so any may answer 503 when it is too busy
    # (DatabaseBusy); a route documenting a 503 of its own keeps its description.
    app = FastAPI(
        title="Language videos", version="0.1.0", lifespan=lifespan, responses=errors(503)
    )
    app.state.settings = settings
    app.state.engine = build_async_engine(
        settings.database_url, busy_timeout=settings.sqlite_busy_timeout
    )
    app.state.sessionmaker = session_factory(app.state.engine)
    app.state.password_helper = PasswordHelper(password_hash or production_password_hash())
    app.state.transcription_service = WhisperTranscriptionService(settings.whisper_model)
    app.state.translation_client = None
    app.add_exception_handler(ServiceUnavailable, service_unavailable)
    app.add_exception_handler(PoolTimeout, no_connection_in_time)
    app.add_exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED, method_not_allowed)
    app.add_middleware(BodyLimit, max_upload_bytes=settings.max_upload_bytes)

    app.include_router(health.router)
    app.include_router(
        fastapi_users.get_auth_router(auth_backend), prefix="/auth/jwt", tags=["auth"]
    )
    app.include_router(
        email_taken_as_409(fastapi_users.get_register_router(UserRead, UserCreate)),
        prefix="/auth",
        tags=["auth"],
    )
    app.include_router(
        email_taken_as_409(fastapi_users.get_users_router(UserRead, UserUpdate)),
        prefix="/users",
        tags=["users"],
    )
    app.include_router(videos.router)
    app.include_router(vocabulary.router)
    app.include_router(translations.router)
    app.include_router(games.router)
    return app
