"""Settings from the environment, the errors that name the variable to fix, and start-up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import httpx
import pytest
from fastapi_users.jwt import generate_jwt
from pydantic import ValidationError

from backend.__main__ import main
from backend.config import (
    DEFAULT_JWT_SECRET,
    Environment,
    Settings,
    describe_settings_error,
)
from tools import ROOT

PRIVATE_SECRET = "a-private-secret-of-at-least-32-chars"
SETTINGS_VARIABLES = [name.upper() for name in Settings.model_fields]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No settings variable from pytest.ini or the shell: each test sets only what it tests."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def settings_error(**overrides: object) -> str:
    """The start-up message for settings built from the current environment."""
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, **overrides)  # type: ignore[arg-type]
    return describe_settings_error(raised.value)


class TestReading:
    def test_every_field_comes_from_its_variable(self, clean_env, tmp_path):
        values = {
            "APP_ENV": "production",
            "DATABASE_URL": "sqlite+aiosqlite:////srv/app.sqlite3",
            "MEDIA_DIR": str(tmp_path / "media"),
            "JWT_SECRET": PRIVATE_SECRET,
            "JWT_LIFETIME_SECONDS": "120",
            "TRANSLATION_URL": "http://translate.internal:5000",
            "TRANSLATION_TIMEOUT": "2.5",
            "WHISPER_MODEL": "small",
            "MAX_UPLOAD_BYTES": "1024",
            "SQLITE_BUSY_TIMEOUT": "0.25",
        }
        assert sorted(values) == sorted(SETTINGS_VARIABLES), "a new setting needs a case here"
        for name, value in values.items():
            clean_env.setenv(name, value)

        settings = Settings(_env_file=None)

        assert settings.app_env is Environment.PRODUCTION
        assert settings.database_url == "sqlite+aiosqlite:////srv/app.sqlite3"
        assert settings.media_dir == tmp_path / "media"
        assert settings.jwt_secret == PRIVATE_SECRET
        assert settings.jwt_lifetime_seconds == 120
        assert str(settings.translation_url) == "http://translate.internal:5000/"
        assert settings.translation_timeout == 2.5
        assert settings.whisper_model == "small"
        assert settings.max_upload_bytes == 1024
        assert settings.sqlite_busy_timeout == 0.25

    def test_names_are_case_insensitive(self, clean_env):
        clean_env.setenv("whisper_model", "medium")
        assert Settings(_env_file=None).whisper_model == "medium"

    def test_without_variables_it_is_a_development_setup(self, clean_env):
        """The defaults must start a local server with no configuration at all."""
        settings = Settings(_env_file=None)

        assert settings.app_env is Environment.DEVELOPMENT
        assert settings.jwt_secret == DEFAULT_JWT_SECRET
        assert settings.database_url.startswith("sqlite+aiosqlite:///")

    def test_a_dotenv_file_is_read_and_the_environment_wins(self, clean_env, tmp_path):
        dotenv = tmp_path / ".env"
        dotenv.write_text("WHISPER_MODEL=large-v3\nMAX_UPLOAD_BYTES=2048\n")
        clean_env.setenv("MAX_UPLOAD_BYTES", "4096")

        settings = Settings(_env_file=dotenv)

        assert settings.whisper_model == "large-v3"
        assert settings.max_upload_bytes == 4096

    def test_unrelated_variables_are_ignored(self, clean_env):
        clean_env.setenv("SOMETHING_ELSE", "x")
        assert not hasattr(Settings(_env_file=None), "something_else")

    def test_settings_are_frozen(self, clean_env):
        """Shared by every request of an app: nobody may change them under the others."""
        settings = Settings(_env_file=None)

        with pytest.raises(ValidationError, match="frozen"):
            settings.max_upload_bytes = 1  # type: ignore[misc]


class TestInvalid:
    @pytest.mark.parametrize(
        ("variable", "value"),
        [
            ("TRANSLATION_TIMEOUT", "abc"),
            ("TRANSLATION_TIMEOUT", "0"),
            ("TRANSLATION_TIMEOUT", "61"),
            ("MAX_UPLOAD_BYTES", "-1"),
            ("MAX_UPLOAD_BYTES", "1.5"),
            ("SQLITE_BUSY_TIMEOUT", "0"),
            ("SQLITE_BUSY_TIMEOUT", "601"),
            ("JWT_LIFETIME_SECONDS", "0"),
            ("TRANSLATION_URL", "not a url"),
            ("APP_ENV", "staging"),
            ("JWT_SECRET", "too-short"),
        ],
    )
    def test_a_bad_value_is_reported_under_its_variable_name(self, clean_env, variable, value):
        clean_env.setenv(variable, value)

        message = settings_error()

        assert message.startswith("Invalid settings")
        assert re.search(rf"^  {variable}: ", message, re.MULTILINE), message

    def test_every_bad_variable_is_listed_at_once(self, clean_env):
        clean_env.setenv("TRANSLATION_TIMEOUT", "abc")
        clean_env.setenv("MAX_UPLOAD_BYTES", "-1")

        message = settings_error()

        assert "  TRANSLATION_TIMEOUT: " in message
        assert "  MAX_UPLOAD_BYTES: " in message

    @pytest.mark.parametrize(("length", "valid"), [(31, False), (32, True)])
    def test_jwt_secret_needs_32_characters(self, clean_env, length, valid):
        """Shorter HS256 keys are weak, and PyJWT warns on every token signed with one."""
        clean_env.setenv("JWT_SECRET", "s" * length)

        if not valid:
            assert "  JWT_SECRET: " in settings_error()
            return
        secret = Settings(_env_file=None).jwt_secret
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert generate_jwt({"sub": "someone"}, secret, lifetime_seconds=60)


class TestProduction:
    def test_the_published_default_secret_is_refused(self, clean_env):
        clean_env.setenv("APP_ENV", "production")

        message = settings_error()

        assert "JWT_SECRET must be set to a private value" in message

    def test_a_private_secret_is_accepted(self, clean_env):
        clean_env.setenv("APP_ENV", "production")
        clean_env.setenv("JWT_SECRET", PRIVATE_SECRET)

        assert Settings(_env_file=None).app_env is Environment.PRODUCTION

    @pytest.mark.parametrize("app_env", ["development", "test"])
    def test_the_default_secret_is_fine_outside_production(self, clean_env, app_env):
        clean_env.setenv("APP_ENV", app_env)
        assert Settings(_env_file=None).jwt_secret == DEFAULT_JWT_SECRET


def test_describe_settings_error_without_a_field_says_settings():
    """A model-level error has an empty location; it still gets a name on its line."""
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, app_env="production", jwt_secret=DEFAULT_JWT_SECRET)

    lines = describe_settings_error(raised.value).splitlines()

    assert lines[0] == "Invalid settings (environment variables or .env):"
    assert lines[1].startswith("  SETTINGS: ")


@pytest.mark.parametrize(
    ("url", "sync_url"),
    [
        ("sqlite+aiosqlite:///./backend.sqlite3", "sqlite:///./backend.sqlite3"),
        ("sqlite+aiosqlite:////tmp/x+aiosqlite.db", "sqlite:////tmp/x+aiosqlite.db"),
        (
            "postgresql+asyncpg://app:p%40ss@db:5432/app?ssl=require",
            "postgresql+psycopg://app:p%40ss@db:5432/app?ssl=require",
        ),
        (
            "postgresql+asyncpg://postgres:@/postgres?host=/tmp/pg+asyncpg",
            "postgresql+psycopg://postgres:@/postgres?host=/tmp/pg+asyncpg",
        ),
        ("postgresql+psycopg://app@db/app", "postgresql+psycopg://app@db/app"),
    ],
)
def test_sync_database_url_swaps_only_the_driver(url, sync_url):
    """The tests' sync engine: plain sqlite for aiosqlite, psycopg 3 for asyncpg."""
    assert Settings(_env_file=None, database_url=url).sync_database_url == sync_url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite:///plain.db", "needs an async driver"),
        ("postgresql://app@db/app", "needs an async driver"),
        ("not a url", "not a database URL SQLAlchemy knows"),
        ("nosuchdb+driver://x", "not a database URL SQLAlchemy knows"),
    ],
)
def test_database_url_must_name_an_async_driver_of_a_known_engine(clean_env, url, says):
    """Checked with the other settings, before anything connects or imports a driver."""
    clean_env.setenv("DATABASE_URL", url)

    message = settings_error()

    assert re.search(rf"^  DATABASE_URL: .*{says}", message, re.MULTILINE), message


class TestMainInProcess:
    """`main()` itself, for the error paths that return before a server starts."""

    def test_a_bad_variable_returns_2_and_names_it(self, clean_env, capsys):
        clean_env.setenv("TRANSLATION_TIMEOUT", "abc")

        assert main() == 2

        err = capsys.readouterr().err
        assert "Invalid settings" in err
        assert "TRANSLATION_TIMEOUT" in err

    def test_production_with_the_default_secret_returns_2(self, clean_env, capsys):
        clean_env.setenv("APP_ENV", "production")

        assert main() == 2
        assert "JWT_SECRET" in capsys.readouterr().err

    @pytest.mark.parametrize("port", ["abc", "-1", "65536", "8000.0", "\u00b2"])
    def test_a_bad_port_returns_2_and_names_it(self, clean_env, capsys, tmp_path, port):
        """Checked before uvicorn starts: a typo must not end in a traceback."""
        clean_env.chdir(tmp_path)
        clean_env.setenv("PORT", port)

        assert main() == 2

        assert "PORT must be a number from 0 to 65535" in capsys.readouterr().err
        assert list(tmp_path.iterdir()) == []


def subprocess_env(cwd: Path, **variables: str) -> dict[str, str]:
    """The test process's environment without settings variables, plus `variables`."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{cwd / 'app.sqlite3'}"
    env["MEDIA_DIR"] = str(cwd / "media")
    return env | variables


@pytest.mark.slow
class TestPythonDashM:
    @pytest.mark.parametrize(
        ("variables", "named"),
        [
            ({"TRANSLATION_TIMEOUT": "abc"}, "TRANSLATION_TIMEOUT"),
            ({"APP_ENV": "production"}, "JWT_SECRET"),
        ],
        ids=["bad-value", "production-default-secret"],
    )
    def test_bad_settings_exit_2_naming_the_variable(self, tmp_path, variables, named):
        result = subprocess.run(
            [sys.executable, "-m", "backend"],
            cwd=tmp_path,
            env=subprocess_env(tmp_path, **variables),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

        assert result.returncode == 2, result.stderr
        assert named in result.stderr
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "app.sqlite3").exists()

    def test_good_settings_serve_the_api(self, tmp_path):
        """Start the real server on a free port, ask /health, stop it."""
        with subprocess.Popen(
            [sys.executable, "-m", "backend"],
            cwd=tmp_path,
            env=subprocess_env(tmp_path, PORT="0"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            try:
                assert process.stderr is not None
                seen = []
                for line in process.stderr:
                    seen.append(line)
                    if match := re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line):
                        break
                else:
                    pytest.fail(f"the server did not start: {''.join(seen)}")
                with httpx.Client(trust_env=False) as http:
                    response = http.get(f"http://127.0.0.1:{match.group(1)}/health")
            finally:
                process.terminate()
                process.wait(timeout=10)

        assert response.json() == {"status": "ok", "database": "ok"}
        # The lifespan made the database and media folder; nothing else was configured.
        assert (tmp_path / "app.sqlite3").is_file()
        assert (tmp_path / "media").is_dir()
