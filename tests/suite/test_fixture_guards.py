"""This suite's guards: its fakes in every test's app, and the real engine left unloaded (the
plugin's own guards are proved in pytest-fastapi-db/tests/test_guards.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from backend.db import get_async_session
from backend.dependencies import get_transcription_service, get_translation_service
from tests.fixtures.services import real_engine_ran


async def test_app_holds_exactly_this_tests_overrides(app, transcription, translation):
    """Nothing an earlier test set survives: only the three overrides of this test are in."""
    assert set(app.dependency_overrides) == {
        get_async_session,
        get_transcription_service,
        get_translation_service,
    }
    assert await app.dependency_overrides[get_transcription_service]() is transcription
    assert await app.dependency_overrides[get_translation_service]() is translation


def test_faster_whisper_is_not_imported_by_the_suite(pytestconfig):
    """Only a `real_services` test loads the engine: until one has run in this process (none
    does where the engine is not installed, as in `fast`), it is not loaded."""
    if pytestconfig.stash.get(real_engine_ran, False):
        pytest.skip("a real_services test ran earlier in this process: it may have loaded it")
    assert "faster_whisper" not in sys.modules


@pytest.mark.slow
def test_building_the_app_imports_no_heavy_engine():
    """create_app() and a real transcription service object leave faster-whisper unloaded."""
    code = (
        "import sys; from backend.main import create_app; app = create_app(); "
        "assert isinstance(app.state.transcription_service, object); "
        "print('faster_whisper' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="."
    )
    assert result.stdout.strip() == "False"


async def test_a_created_user_unpacks_and_logs_in_as_documented(user_factory, client_factory):
    """README's fixture table: `user, password = await user_factory()` and
    `client_factory(created)` both work, and the client is that user."""
    created = await user_factory(email="documented@example.com")
    user, password = created
    assert (user, password, created.email) == (created.user, created.password, user.email)

    for way in (created, user):
        me = await client_factory(way)
        response = await me.get("/users/me")
        assert response.status_code == 200
        assert response.json()["email"] == "documented@example.com"


async def test_client_factory_names_what_it_takes(client_factory):
    with pytest.raises(TypeError, match=r"takes a User, what user_factory\(\) returned"):
        await client_factory("documented@example.com")
