"""Settings: one class, read from the environment (and an optional `.env`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, HttpUrl, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "change-me-development-only-secret"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every knob of the service; each field is the environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_env: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite+aiosqlite:///./backend.sqlite3"
    media_dir: Path = Path("media")
    # HS256 wants a key as long as its 32-byte digest (RFC 7518 3.2); PyJWT warns below that.
    jwt_secret: str = Field(DEFAULT_JWT_SECRET, min_length=32)
    jwt_lifetime_seconds: int = Field(3600, gt=0)
    translation_url: HttpUrl = HttpUrl("http://127.0.0.1:5000")
    translation_timeout: float = Field(5.0, gt=0, le=60)
    whisper_model: str = "base"
    max_upload_bytes: int = Field(50 * 1024 * 1024, gt=0)

    @model_validator(mode="after")
    def _production_needs_a_real_secret(self) -> Settings:
        # A token signed with a published default secret is a token anybody can forge.
        if self.app_env is Environment.PRODUCTION and self.jwt_secret == DEFAULT_JWT_SECRET:
            raise ValueError("JWT_SECRET must be set to a private value when APP_ENV=production")
        return self

    @property
    def sync_database_url(self) -> str:
        """The same database for the sync driver, which does schema work."""
        return self.database_url.replace("+aiosqlite", "", 1)


def describe_settings_error(error: ValidationError) -> str:
    """Turn pydantic's report into lines naming the environment variables to fix."""
    lines = ["Invalid settings (environment variables or .env):"]
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"]).upper() or "SETTINGS"
        lines.append(f"  {name}: {item['msg']}")
    return "\n".join(lines)
