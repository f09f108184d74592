"""`python -m backend`: serve on 127.0.0.1:8000 (HOST and PORT to change it).

Before the server starts, the database is made ready: migrated to head outside production,
only checked in production. Whatever stops the start (a bad setting, a missing driver, a
database out of reach or not migrated) is one message and exit status 2, not a traceback.
"""

from __future__ import annotations

import asyncio
import os
import sys

import uvicorn
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.config import Environment, Settings, describe_settings_error
from backend.db import DatabaseDriverMissing
from backend.main import create_app
from backend.schema import StartupError, prepare_schema


async def prepare_database(engine: AsyncEngine, settings: Settings) -> None:
    """The lifespan's schema step, run ahead on a loop of its own; its connections are closed
    here, since uvicorn serves on another loop."""
    try:
        await prepare_schema(engine, may_migrate=settings.app_env is not Environment.PRODUCTION)
    finally:
        await engine.dispose()


def main() -> int:
    try:
        settings = Settings()
        app = create_app(settings)
    except ValidationError as error:
        print(describe_settings_error(error), file=sys.stderr)
        return 2
    except DatabaseDriverMissing as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    if not port.isdecimal() or int(port) > 65535:
        print(f"Cannot start: PORT must be a number from 0 to 65535, not {port!r}", file=sys.stderr)
        return 2
    try:
        asyncio.run(prepare_database(app.state.engine, settings))
    except StartupError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=host, port=int(port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
