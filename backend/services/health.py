"""Whether the instance can serve: its database answers."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.services.errors import ServiceUnavailable


async def check_database(session: AsyncSession) -> None:
    """ServiceUnavailable (a 503 with Retry-After, not a 500 traceback) when the database does
    not answer a trivial query: the instance is up but cannot serve."""
    try:
        await session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        raise ServiceUnavailable("the database cannot be reached") from error
