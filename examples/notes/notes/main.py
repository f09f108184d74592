"""The app, built when this module is imported (`uvicorn notes.main:app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from notes.api import router
from notes.config import settings
from notes.db import SessionLocal
from notes.seed import seed_superuser
from notes.services import ServiceError


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Seeds the first superuser before the first request (a few queries, once)."""
    with SessionLocal() as session:
        seed_superuser(session, settings)
    yield


app = FastAPI(title="Notes", lifespan=lifespan)
app.include_router(router)


@app.exception_handler(ServiceError)
async def service_error(_request: Request, error: Exception) -> JSONResponse:
    """A service's refusal as its status and one-line detail."""
    assert isinstance(error, ServiceError)
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse({"detail": str(error)}, status_code=error.status, headers=headers)
