"""Settings: one class, read from the environment (and an optional `.env`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, HttpUrl, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

DEFAULT_JWT_SECRET = "change-me-development-only-secret"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./backend.sqlite3"
# Seconds a write waits for SQLite's write lock before its request answers 503: as long as a
# request already waits for a pooled connection (SQLAlchemy's pool_timeout). Rails and Django
# wait 5 s with a thread per request; here the request holding the lock shares one event loop
# (and on a small machine two cores) with every other request, so its COMMIT can wait behind
# their work (README, "SQLite with many users at once").
DEFAULT_SQLITE_BUSY_TIMEOUT = 30.0
# The app's async driver -> the sync driver schema work and the tests' sync engine use.
SYNC_DRIVERS = {"aiosqlite": "", "asyncpg": "psycopg"}


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class DatabaseSettings(BaseSettings):
    """DATABASE_URL alone: what `alembic` needs, without the app's other (production) checks."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL

    @field_validator("database_url")
    @classmethod
    def _an_async_url_of_a_known_engine(cls, value: str) -> str:
        # Only the dialect is loaded here, never the driver (asyncpg is imported when an
        # engine is built, and only for a postgresql+asyncpg URL).
        try:
            dialect = make_url(value).get_dialect(_is_async=True)
        except (ArgumentError, NoSuchModuleError, ValueError) as error:
            raise ValueError(f"not a database URL SQLAlchemy knows: {error}") from None
        if not dialect.is_async:
            raise ValueError(
                "needs an async driver, such as sqlite+aiosqlite:///./backend.sqlite3 "
                "or postgresql+asyncpg://user:password@host/dbname"
            )
        return value

    @property
    def sync_database_url(self) -> str:
        """The same database for a sync driver (schema work, the tests' sync engine):
        `+aiosqlite` -> plain sqlite, `+asyncpg` -> `+psycopg` (psycopg 3)."""
        scheme, separator, rest = self.database_url.partition("://")
        dialect, plus, driver = scheme.partition("+")
        if plus and driver in SYNC_DRIVERS:
            sync_driver = SYNC_DRIVERS[driver]
            scheme = f"{dialect}+{sync_driver}" if sync_driver else dialect
        return f"{scheme}{separator}{rest}"


class Settings(DatabaseSettings):
    """Every knob of the service; each field is the environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_env: Environment = Environment.DEVELOPMENT
    media_dir: Path = Path("media")
    # HS256 wants a key as long as its 32-byte digest (RFC 7518 3.2); PyJWT warns below that.
    jwt_secret: str = Field(DEFAULT_JWT_SECRET, min_length=32)
    jwt_lifetime_seconds: int = Field(3600, gt=0)
    translation_url: HttpUrl = HttpUrl("http://127.0.0.1:5000")
    translation_timeout: float = Field(5.0, gt=0, le=60)
    whisper_model: str = "base"
    max_upload_bytes: int = Field(50 * 1024 * 1024, gt=0)
    sqlite_busy_timeout: float = Field(DEFAULT_SQLITE_BUSY_TIMEOUT, gt=0, le=600)

    @model_validator(mode="after")
    def _production_needs_a_real_secret(self) -> Settings:
        # A token signed with a published default secret is a token anybody can forge.
        if self.app_env is Environment.PRODUCTION and self.jwt_secret == DEFAULT_JWT_SECRET:
            raise ValueError("JWT_SECRET must be set to a private value when APP_ENV=production")
        return self


def describe_settings_error(error: ValidationError) -> str:
    """Turn pydantic's report into lines naming the environment variables to fix."""
    lines = ["Invalid settings (environment variables or .env):"]
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"]).upper() or "SETTINGS"
        lines.append(f"  {name}: {item['msg']}")
    return "\n".join(lines)
