"""Data API under /api/datahub: rows of a dataset version and downloads.

Thin: parse the query string (or JSON body), call the service — which decides who may read
(in full, or under a sharing grant's scope) and counts and audits the read — and commit.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from citybase.datahub import service
from citybase.datahub.router import data_dir_of
from citybase.datahub.rows import MEDIA_TYPES
from citybase.datahub.schemas import RowsQueryBody, RowsRead
from citybase.datahub.types import RowQuery
from citybase.identity.deps import OptionalUser, SessionDep
from citybase.identity.models import User
from citybase.web.openapi import MAX_ID, OptionalIdQuery, body_types

router = APIRouter(prefix="/api/datahub", tags=["datahub: data API"])


def _row_query(
    columns: str | None, filters: list[str], q: str | None, sort: list[str], limit: int, offset: int
) -> RowQuery:
    return RowQuery(
        columns=[c for c in columns.split(",") if c] if columns else None,
        filters=[service.parse_filter(f) for f in filters],
        q=q or None,
        sort=service.parse_sort(sort),
        limit=limit,
        offset=offset,
    )


def _rows_read(result: Any) -> RowsRead:
    return RowsRead(
        dataset=result.dataset.name,
        version=result.version.number,
        columns=result.page.columns,
        rows=result.page.rows,
        total=result.page.total,
        next_cursor=result.next_cursor,
    )


def _with_cursor(
    db_session: Any,
    user: User | None,
    name: str,
    version: int | None,
    query: RowQuery,
    cursor: str | None,
) -> RowQuery:
    if not cursor:
        return query
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    ver = service.get_version(db_session=db_session, dataset=ds, number=version)
    return query.model_copy(
        update={"after": service.decode_cursor(cursor, service.columns_of(ver)), "offset": 0}
    )


@router.get("/datasets/{name}/rows", response_model=RowsRead)
def read_rows(
    name: str,
    request: Request,
    user: OptionalUser,
    db_session: SessionDep,
    columns: Annotated[str | None, Query(description="Comma-separated projection.")] = None,
    filter: Annotated[list[str], Query(description="column:op:value, repeatable.")] = [],  # noqa: B006
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[list[str], Query(description="col or -col; comma-separated or repeated.")] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=0, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    cursor: str | None = None,
    version: OptionalIdQuery = None,
    purpose: Annotated[str | None, Query(max_length=500)] = None,
) -> RowsRead:
    """Rows of a version (default: current): projection, filters, sort, keyset pagination."""
    query = _row_query(columns, filter, q, sort, limit, offset)
    query = _with_cursor(db_session, user, name, version, query, cursor)
    result = service.read_rows(
        db_session=db_session,
        data_dir=data_dir_of(request),
        viewer=user,
        name=name,
        query=query,
        version=version,
        purpose=purpose,
        settings=request.app.state.settings,
    )
    db_session.commit()
    return _rows_read(result)


@router.post("/datasets/{name}/rows/query", response_model=RowsRead)
def query_rows(
    name: str,
    body: RowsQueryBody,
    request: Request,
    user: OptionalUser,
    db_session: SessionDep,
    purpose: Annotated[str | None, Query(max_length=500)] = None,
) -> RowsRead:
    """The rows query as JSON (structured filters; values of any type); ``purpose`` in the
    query string."""
    query = RowQuery(
        columns=body.columns,
        filters=body.filters,
        q=body.q,
        sort=service.parse_sort(body.sort),
        limit=body.limit,
    )
    query = _with_cursor(db_session, user, name, body.version, query, body.cursor)
    result = service.read_rows(
        db_session=db_session,
        data_dir=data_dir_of(request),
        viewer=user,
        name=name,
        query=query,
        version=body.version,
        purpose=purpose,
        settings=request.app.state.settings,
    )
    db_session.commit()
    return _rows_read(result)


@router.get(
    "/datasets/{name}/download",
    responses=body_types(*MEDIA_TYPES.values()),
)
def download(
    name: str,
    request: Request,
    user: OptionalUser,
    db_session: SessionDep,
    format: Literal["csv", "json", "parquet"] = "csv",
    encoding: Literal["utf-8-sig", "utf-8", "gbk"] = "utf-8-sig",
    columns: str | None = None,
    filter: Annotated[list[str], Query()] = [],  # noqa: B006
    q: str | None = None,
    sort: Annotated[list[str], Query()] = [],  # noqa: B006
    version: OptionalIdQuery = None,
    purpose: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Every matching row of a version as CSV (UTF-8 with BOM, or ``encoding=gbk``), JSON or
    Parquet; CSV cells a spreadsheet would run as formulas are neutralised."""
    query = _row_query(columns, filter, q, sort, 10_000, 0)
    export = service.export_rows(
        db_session=db_session,
        data_dir=data_dir_of(request),
        viewer=user,
        name=name,
        fmt=format,
        query=query,
        version=version,
        purpose=purpose,
        csv_encoding=encoding,
        settings=request.app.state.settings,
    )
    db_session.commit()
    return FileResponse(
        export.path,
        media_type=export.media_type,
        filename=export.filename,
        background=BackgroundTask(export.path.unlink, missing_ok=True),
    )
