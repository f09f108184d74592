"""Types and helpers shared by the routers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Generic, NoReturn, TypeVar

from fastapi import HTTPException, Path, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from backend.queries import Owned, newest_owned
from backend.services.errors import Conflict, UnreadableMedia
from backend.services.vocabulary import (
    MAX_WORD_LENGTH,
    MIN_WORD_LENGTH,
    WORD_PATTERN,
    WORD_RULE,
    is_word,
)

# An ISO 639-1 or 639-3 code, lowercase ("es", "fra").
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
# The ids a row can have (a 64-bit signed integer). An id is any integer: one outside this range
# names nothing, so it is a 404 like any other absent id, never sent to the driver (which would
# crash on it, a 500). The schema shows no range: JSON numbers this large lose precision in
# many clients (and in FastAPI's own schema model), so a bound there would be a false promise.
MIN_ID, MAX_ID = -(2**63), 2**63 - 1
ID_DESCRIPTION = "Any integer; one that names none of your rows is 404"
PathId = Annotated[int, Path(description=ID_DESCRIPTION)]


# A vocabulary word, in a path or a query: the rule is the vocabulary service's, stated to
# clients by its pattern (stop-words left out by a lookahead) and checked by `check_word`.
WORD_SCHEMA: dict[str, Any] = {
    "minLength": MIN_WORD_LENGTH,
    "maxLength": MAX_WORD_LENGTH,
    "pattern": WORD_PATTERN,
}
WORD_DESCRIPTION = (
    f"{WORD_RULE[0].upper()}{WORD_RULE[1:]}: the stop-words are those the pattern leaves out."
)


def check_word(location: tuple[str, ...], word: str) -> None:
    """A 422 naming the rule unless `word` is a vocabulary word."""
    if not is_word(word):
        invalid(location, f"must be {WORD_RULE}", word)


def is_id(value: int) -> bool:
    """True when `value` could be the id of a row."""
    return MIN_ID <= value <= MAX_ID


# Python's whitespace (str.isspace), spelled out so the pattern means the same in every engine.
BLANK = r"\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
MAX_TITLE_LENGTH = 200
# 1 to 200 characters once the whitespace around them is removed (as `str.strip` does).
TITLE_PATTERN = (
    rf"^[{BLANK}]*[^{BLANK}](?:[\s\S]{{0,{MAX_TITLE_LENGTH - 2}}}[^{BLANK}])?[{BLANK}]*$"
)

# Strict: JSON `0` or `"5"` is not a boolean or an integer; lax mode would coerce it.
STRICT = ConfigDict(strict=True)


def _whole_number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer in a JSON body, as JSON Schema counts them: `13.0` is 13 (`"13"` and `true` are not).
WHOLE_NUMBER = BeforeValidator(_whole_number)
JsonInt = Annotated[int, WHOLE_NUMBER]
# Bounds of an optional one go before WHOLE_NUMBER (`Annotated[int, Field(ge=0), WHOLE_NUMBER]`):
# after it, pydantic writes them as `ge`/`le`, keywords no JSON Schema validator reads.


class StrictModel(BaseModel):
    model_config = STRICT


class ErrorRead(BaseModel):
    detail: str


ERRORS = {
    400: "The body could not be parsed (not UTF-8 JSON, or broken multipart)",
    401: "Missing, invalid or expired bearer token, or an inactive user",
    404: "Not found among the current user's own resources",
    409: "The resource is not in a state that allows this (the detail names the field)",
    503: "The database is busy: a write waited SQLITE_BUSY_TIMEOUT for SQLite's write lock, or "
    "no pooled connection came free in time; retry after the Retry-After seconds",
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


# In a link: the id of what the response describes (a creation's new row).
RESPONSE_ID = "$response.body#/id"


def link(
    operation_id: str,
    description: str,
    request_body: dict[str, str] | None = None,
    **parameters: str,
) -> dict[str, Any]:
    """An OpenAPI link: what a client can call next with values from this response."""
    found: dict[str, Any] = {"operationId": operation_id, "description": description}
    if parameters:
        found["parameters"] = parameters
    if request_body is not None:
        found["requestBody"] = request_body
    return found


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


@contextmanager
def domain_errors() -> Iterator[None]:
    """A service's refusals as the 409 the routes declare: the rule's message is the detail."""
    try:
        yield
    except (Conflict, UnreadableMedia) as error:
        conflict(str(error))
