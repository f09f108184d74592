"""Liveness and database reachability, for load balancers and humans."""

from fastapi import APIRouter

from backend.db import SessionDep
from backend.services.health import check_database

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "The database cannot be reached"}})
async def health(session: SessionDep) -> dict[str, str]:
    await check_database(session)
    return {"status": "ok", "database": "ok"}
