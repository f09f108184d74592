"""The seams of the app: everything a test (or another deployment) swaps lives here.

Each collaborator is reached through a dependency, so `app.dependency_overrides` replaces it
for every route at once, whatever the route captured at import time.
"""

from __future__ import annotations

from typing import Annotated, cast

import httpx
from fastapi import Depends, Request
from fastapi_users.password import PasswordHelper

from backend.config import Settings
from backend.services.transcription import TranscriptionService
from backend.services.translation import HttpTranslationService, TranslationService


# `app.state` is untyped; these casts name what `create_app()` put there. Every one is
# `async def` although none awaits: FastAPI runs a plain `def` dependency in a worker thread,
# a hand-off on every request (tests/api/test_request_path.py keeps them off threads).
async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_password_helper(request: Request) -> PasswordHelper:
    return cast(PasswordHelper, request.app.state.password_helper)


async def get_transcription_service(request: Request) -> TranscriptionService:
    return cast(TranscriptionService, request.app.state.transcription_service)


async def get_translation_service(request: Request) -> TranslationService:
    """The HTTP client is made on first use: building one costs more than the whole app."""
    state = request.app.state
    if state.translation_client is None:
        settings: Settings = state.settings
        state.translation_client = httpx.AsyncClient(
            base_url=str(settings.translation_url), timeout=settings.translation_timeout
        )
    return HttpTranslationService(state.translation_client)


SettingsDep = Annotated[Settings, Depends(get_settings)]
PasswordHelperDep = Annotated[PasswordHelper, Depends(get_password_helper)]
TranscriptionDep = Annotated[TranscriptionService, Depends(get_transcription_service)]
TranslationDep = Annotated[TranslationService, Depends(get_translation_service)]
