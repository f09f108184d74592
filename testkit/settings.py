"""The settings every test run uses: each value is written here and nowhere else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backend.config import Environment, Settings

TEST_JWT_SECRET = "test-only-jwt-secret-not-for-production"
# `.invalid` never resolves (RFC 2606): a request that escapes the fakes fails at once.
TEST_TRANSLATION_URL = "http://translation.invalid"
# Small, so the 413 path is cheap to reach.
TEST_MAX_UPLOAD_BYTES = 64 * 1024
DEFAULT_PASSWORD = "correct-horse-battery"

# What a test process (and every child it starts) sees as its environment, so that a
# `Settings()` read from the environment is a test one, whatever the developer's shell holds.
TEST_ENVIRONMENT = {
    "APP_ENV": Environment.TEST.value,
    "JWT_SECRET": TEST_JWT_SECRET,
    "TRANSLATION_URL": TEST_TRANSLATION_URL,
}


def settings_for_tests(folder: Path, name: str = "main", **overrides: Any) -> Settings:
    """Test settings whose database file and media folder are `name`'s own, inside `folder`."""
    values: dict[str, Any] = {
        "app_env": Environment.TEST,
        "database_url": f"sqlite+aiosqlite:///{folder / f'db-{name}.sqlite3'}",
        "media_dir": folder / f"media-{name}",
        "jwt_secret": TEST_JWT_SECRET,
        "translation_url": TEST_TRANSLATION_URL,
        "whisper_model": "tiny",
        "max_upload_bytes": TEST_MAX_UPLOAD_BYTES,
    }
    return Settings(_env_file=None, **(values | overrides))
