"""Types and helpers shared by the routers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Generic, NoReturn, TypeVar

from fastapi import HTTPException, Path, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Video
from backend.queries import Owned, newest_owned

# An ISO 639-1 or 639-3 code, lowercase ("es", "fra").
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
# SQLite's INTEGER range: an id outside it names nothing and would crash the driver (a 500).
MIN_ID, MAX_ID = -(2**63), 2**63 - 1
PathId = Annotated[int, Path(ge=MIN_ID, le=MAX_ID)]

# Strict: JSON `0` or `"5"` is not a boolean or an integer; lax mode would coerce it.
STRICT = ConfigDict(strict=True)


class StrictModel(BaseModel):
    model_config = STRICT


class ErrorRead(BaseModel):
    detail: str


ERRORS = {
    400: "The body could not be parsed (not UTF-8 JSON, or broken multipart)",
    401: "Missing, invalid or expired bearer token, or an inactive user",
    404: "Not found among the current user's own resources",
    409: "The resource is not in a state that allows this",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the errors a route answers, so clients (and fuzzers) can rely on them."""
    return {code: {"model": ErrorRead, "description": ERRORS[code]} for code in codes}


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


async def paginate(
    session: AsyncSession,
    model: type[Owned],
    owner_id: uuid.UUID,
    limit: int,
    offset: int,
    read: Callable[[Owned], T],
) -> Page[T]:
    rows, total = await newest_owned(session, model, owner_id, limit, offset)
    return Page(items=[read(row) for row in rows], total=total, limit=limit, offset=offset)


def not_found(what: str) -> NoReturn:
    """Absent and not-yours look the same, so ids of other users' data reveal nothing."""
    raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{what} not found")


def conflict(detail: str) -> NoReturn:
    raise HTTPException(status.HTTP_409_CONFLICT, detail=detail)


def invalid(location: tuple[str, ...], message: str, value: Any) -> NoReturn:
    """A 422 shaped like FastAPI's own, for checks a schema cannot express."""
    raise RequestValidationError(
        [{"type": "value_error", "loc": location, "msg": message, "input": value}]
    )


def require_transcript(video: Video) -> str:
    if video.transcript is None:
        conflict("the video has not been transcribed yet: POST /videos/{id}/transcription first")
    return video.transcript
