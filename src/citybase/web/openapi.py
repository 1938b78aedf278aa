"""What every API operation shares in its contract: bounded id parameters and error answers.

- ``IdPath`` / ``OptionalIdQuery``: a database id (or version number) is a positive 32-bit
  integer. Declaring it bounds what reaches the database (an id beyond 64 bits used to answer
  500 from SQLite's driver, beyond 32 bits from PostgreSQL's) and documents the range in the
  OpenAPI spec, so a client or a fuzzer knows that ``2**64`` is a 422 and not a lookup.
- ``body_types(...)``: declares the content types of an operation that does not answer JSON.
- ``ERROR_RESPONSES``: the error statuses any operation may answer, all with the one error
  body ``{"error": {"code", "message", "field"}}``; ``create_app`` declares them on every
  router it mounts, so they are documented once and everywhere.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, Field

# Ids are INTEGER columns: 32-bit on PostgreSQL (64-bit on SQLite); the smaller bound holds
# on both backends.
MAX_ID = 2**31 - 1

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A positive 32-bit id.")]
OptionalIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="A positive 32-bit id.")]


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine code, e.g. not_found, validation_error.")
    message: str = Field(description="What is wrong and what to do, for a person.")
    field: str | None = Field(None, description="The field (or row/column) it concerns.")
    message_zh: str | None = Field(
        None, description="The same message in Chinese, where the platform has written one."
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


def _error(description: str) -> dict[str, Any]:
    # Errors are JSON even where the operation answers HTML or a file (report.html, downloads).
    return {"model": ErrorBody, "description": description, "content": {"application/json": {}}}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("The request is malformed (e.g. JSON nested too deep, an unknown action)."),
    401: _error("Not signed in: send a bearer token or a session cookie."),
    403: _error("Signed in, but this role or department may not do this."),
    404: _error("No such object, or not one this user may know exists."),
    409: _error("Conflicts with the current state (e.g. already exists, already decided)."),
    413: _error("The request body or upload is larger than the configured limit."),
    422: _error("A field is invalid; ``error.field`` names it."),
    503: _error("The database is busy; retry after ``Retry-After`` seconds."),
}


def body_types(*media_types: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an operation whose answer is not JSON (CSV, PDF, GeoJSON, RDF …)."""
    return {status: {"content": {media_type: {} for media_type in media_types}}}
