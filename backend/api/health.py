"""Liveness and database reachability, for load balancers and humans."""

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from backend.db import SessionDep
from backend.services.errors import ServiceUnavailable

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "The database cannot be reached"}})
async def health(session: SessionDep) -> dict[str, str]:
    try:
        await session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        # 503 with Retry-After (not a 500 traceback): the instance is up but cannot serve.
        raise ServiceUnavailable("the database cannot be reached") from error
    return {"status": "ok", "database": "ok"}
