"""The app's settings, read once from the environment when the app is imported."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SUPERUSER_PASSWORD = "changethis"


class Settings(BaseSettings):
    """Each field is the environment variable of the same name (DATABASE_URL, ...)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = "sqlite:///notes.sqlite3"
    first_superuser_email: str = "admin@example.com"
    first_superuser_password: SecretStr = SecretStr(DEFAULT_SUPERUSER_PASSWORD)
    host: str = "127.0.0.1"  # where `python -m notes` serves
    port: int = Field(8000, ge=0, le=65535)

    @field_validator("database_url")
    @classmethod
    def _psycopg_for_postgresql(cls, value: str) -> str:
        """`postgresql://` means psycopg 3 here (SQLAlchemy's default driver is psycopg2,
        which this app does not install)."""
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + value.partition("://")[2]
        return value


settings = Settings()
