"""Liveness and database reachability, for load balancers and humans."""

from fastapi import APIRouter
from sqlalchemy import text

from backend.db import SessionDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(session: SessionDep) -> dict[str, str]:
    await session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
