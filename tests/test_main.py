"""The application factory and its lifespan, on apps of their own (not the worker's app)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request

from backend.config import Environment, Settings
from backend.dependencies import get_transcription_service, get_translation_service
from backend.main import create_app
from backend.models import Base, CachedTranslation
from backend.schema import head_revision
from backend.services.errors import ServiceUnavailable
from backend.services.transcription import WhisperTranscriptionService
from tests.helpers import sqlite_file, table_names


def private_settings(folder: Path, **overrides: object) -> Settings:
    """Settings whose database and media folder live in `folder` and nowhere else."""
    values: dict[str, object] = {
        "app_env": Environment.TEST,
        "database_url": f"sqlite+aiosqlite:///{folder / 'app.sqlite3'}",
        "media_dir": folder / "media",
        "translation_url": "http://translator.test:5000",
        "translation_timeout": 3.0,
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[arg-type]


def request_to(app: FastAPI) -> Request:
    """A bare request of `app`, enough for dependencies that only read `request.app`."""
    return Request({"type": "http", "app": app})


class TestCreateApp:
    async def test_builds_without_touching_disk_or_network(self, tmp_path):
        settings = private_settings(tmp_path)

        app = create_app(settings)
        try:
            assert app.state.settings is settings
            assert not (tmp_path / "app.sqlite3").exists()
            assert not (tmp_path / "media").exists()
            assert app.state.translation_client is None
            assert app.state.transcription_service.model_name == settings.whisper_model
        finally:
            await app.state.engine.dispose()
        assert list(tmp_path.iterdir()) == []

    async def test_without_settings_it_reads_the_environment(self, tmp_path, monkeypatch):
        monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'env.sqlite3'}")
        monkeypatch.setenv("WHISPER_MODEL", "medium")

        app = create_app()
        try:
            assert app.state.settings.whisper_model == "medium"
            assert app.state.engine.url.database == str(tmp_path / "env.sqlite3")
        finally:
            await app.state.engine.dispose()

    async def test_the_transcription_service_is_the_apps_whisper_service(self, tmp_path):
        """Outside tests (where a fake replaces it) routes get the app's one Whisper service."""
        app = create_app(private_settings(tmp_path, whisper_model="base"))
        try:
            service = await get_transcription_service(request_to(app))
            assert service is app.state.transcription_service
            assert service is await get_transcription_service(request_to(app))
            assert isinstance(service, WhisperTranscriptionService)
            assert service.model_name == "base"
        finally:
            await app.state.engine.dispose()

    async def test_each_app_has_its_own_engine(self, tmp_path):
        """Two apps (two tests, two tenants) never share a connection pool."""
        first = create_app(private_settings(tmp_path / "a"))
        second = create_app(private_settings(tmp_path / "b"))
        try:
            assert first.state.engine is not second.state.engine
            assert first.state.engine.url.database != second.state.engine.url.database
        finally:
            await first.state.engine.dispose()
            await second.state.engine.dispose()

    async def test_the_openapi_schema_lists_every_resource(self, client):
        response = await client.get("/openapi.json")

        assert response.status_code == 200
        paths = response.json()["paths"]
        for path in [
            "/health",
            "/auth/register",
            "/auth/jwt/login",
            "/users/me",
            "/videos",
            "/videos/{video_id}",
            "/videos/{video_id}/transcription",
        ]:
            assert path in paths


class TestLifespan:
    async def test_start_migrates_makes_the_media_dir_and_stop_disposes(self, tmp_path):
        settings = private_settings(tmp_path)
        app = create_app(settings)

        async with app.router.lifespan_context(app):
            assert settings.media_dir.is_dir()
            assert set(Base.metadata.tables) <= table_names(tmp_path / "app.sqlite3")
            with sqlite_file(tmp_path / "app.sqlite3") as connection:
                (revision,) = connection.execute("SELECT version_num FROM alembic_version")
            assert revision == (head_revision(),)
            # The schema connection went back to the pool, to be closed at shutdown.
            assert app.state.engine.pool.checkedin() == 1

        assert app.state.engine.pool.checkedin() == 0

    async def test_a_restart_keeps_the_data(self, tmp_path):
        first = create_app(private_settings(tmp_path))
        async with first.router.lifespan_context(first), first.state.sessionmaker() as session:
            session.add(CachedTranslation(source="es", target="en", text="gato", translation="cat"))
            await session.commit()

        second = create_app(private_settings(tmp_path))
        async with second.router.lifespan_context(second), second.state.sessionmaker() as session:
            row = await session.get(CachedTranslation, 1)

        assert row is not None
        assert row.translation == "cat"

    async def test_the_translation_client_is_made_once_and_closed_at_shutdown(self, tmp_path):
        settings = private_settings(tmp_path)
        app = create_app(settings)

        async with app.router.lifespan_context(app):
            await get_translation_service(request_to(app))
            client = app.state.translation_client
            await get_translation_service(request_to(app))

            assert app.state.translation_client is client
            assert isinstance(client, httpx.AsyncClient)
            assert client.base_url == httpx.URL(str(settings.translation_url))
            assert client.timeout.read == settings.translation_timeout
            assert not client.is_closed

        assert client.is_closed


class TestServiceUnavailable:
    @pytest.mark.parametrize("detail", ["whisper is loading", "the translator timed out"])
    async def test_maps_to_503_with_retry_after(
        self, auth_client, video_factory, transcription, detail
    ):
        """Any ServiceUnavailable a route lets through becomes a retryable 503."""
        transcription.error = ServiceUnavailable(detail)
        video = await video_factory(auth_client, b"bytes", filename="a.mp4", title="T")

        response = await auth_client.post(f"/videos/{video['id']}/transcription")

        assert response.status_code == 503
        assert response.json() == {"detail": detail}
        assert response.headers["retry-after"] == "30"
