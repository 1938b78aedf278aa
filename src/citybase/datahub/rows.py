"""The data API: rows of a dataset version (projection, filters, sort, keyset pages) and
downloads as CSV, JSON or Parquet — only for callers ``scope.read_access`` lets in.

Every read is counted (dataset × element × requesting department × day) and, when someone
is signed in, audited with its purpose: rows may hold personal data. Anonymous reads are
possible only for datasets open to everyone and are counted as ``public``.

A reader from another department reads under a ``ReadScope`` (a sharing grant): only its
columns, only rows matching its filters, de-identified by its policy, audited with the
grant id and the read's purpose (else the grant's). After every staff read of a dataset
with ID-number columns the plug-ins get the subjects read (``scope.notify_read``): that is
what the citizens' data tracker is built from.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog, usage, versions
from citybase.datahub import scope as scopes
from citybase.datahub.enums import OpenType
from citybase.datahub.models import Dataset, DatasetVersion
from citybase.datahub.scope import ReadScope, RowsReadEvent
from citybase.datahub.types import ColumnSchema, RowFilter, RowPage, RowQuery
from citybase.db import utcnow
from citybase.errors import ValidationFailed
from citybase.identity.models import User
from citybase.settings import Settings, get_settings

ExportFormat = Literal["csv", "json", "parquet"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
FILTER_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "is_null")


# --- query-string forms ------------------------------------------------------------------


def parse_filter(text: str) -> RowFilter:
    """``column:op:value`` (``in`` takes comma-separated values; ``is_null`` takes true/false)."""
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0]:
        raise ValidationFailed(
            f"Filter '{text}' must look like column:op:value, e.g. 区:eq:东城区.", field="filter"
        )
    column, op = parts[0], parts[1]
    value: Any = parts[2] if len(parts) == 3 else None
    if op not in FILTER_OPS:
        raise ValidationFailed(
            f"Filter '{text}': unknown operator '{op}'; use one of {', '.join(FILTER_OPS)}.",
            field="filter",
        )
    if op == "in":
        value = [v for v in (value or "").split(",") if v != ""]
    elif op == "is_null":
        value = (value or "true").lower() not in ("false", "0", "no")
    elif value is None:
        raise ValidationFailed(f"Filter '{text}' needs a value after the operator.", field="filter")
    return RowFilter(column=column, op=op, value=value)  # type: ignore[arg-type]


def parse_sort(items: list[str]) -> list[tuple[str, Literal["asc", "desc"]]]:
    """``col`` ascending, ``-col`` descending; commas separate several."""
    out: list[tuple[str, Literal["asc", "desc"]]] = []
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if not part or part == "-":
                continue
            out.append((part[1:], "desc") if part.startswith("-") else (part, "asc"))
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def encode_cursor(after: dict[str, Any] | None) -> str | None:
    if after is None:
        return None
    raw = json.dumps({k: _jsonable(v) for k, v in after.items()}, ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, columns: list[ColumnSchema]) -> dict[str, Any]:
    """The keyset position from a ``next_cursor``; values get their column types back."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            "The cursor is not one this API returned: pass next_cursor unchanged.", field="cursor"
        ) from None
    if not isinstance(after, dict):
        raise ValidationFailed("The cursor is not one this API returned.", field="cursor")
    types = {c.name: c.type for c in columns}
    out: dict[str, Any] = {}
    for key, value in after.items():
        kind = types.get(key)
        try:
            if value is not None and kind == "date":
                value = dt.date.fromisoformat(value)
            elif value is not None and kind == "timestamp":
                value = dt.datetime.fromisoformat(value)
            elif value is not None and kind == "decimal":
                value = Decimal(value)
        except (TypeError, ValueError):
            raise ValidationFailed(
                f"The cursor's value for '{key}' is damaged.", field="cursor"
            ) from None
        out[key] = value
    return out


# --- reads -------------------------------------------------------------------------------


@dataclass
class RowsResult:
    dataset: Dataset
    version: DatasetVersion
    page: RowPage
    next_cursor: str | None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass
class _Opened:
    dataset: Dataset
    version: DatasetVersion
    scope: ReadScope | None
    subjects: list[str]  # ID-number columns to report to the tracker (staff reads only)


def _open(
    db_session: Session,
    viewer: User | None,
    name: str,
    version: int | None,
    settings: Settings,
) -> _Opened:
    dataset = catalog.get_dataset(db_session=db_session, name=name, viewer=viewer)
    scope = scopes.read_access(viewer, dataset, db_session=db_session, settings=settings)
    ver = versions.get_version(db_session=db_session, dataset=dataset, number=version)
    tracked = viewer is not None and access.is_staff(viewer)
    subjects = scopes.subject_columns(db_session=db_session, dataset=dataset) if tracked else []
    return _Opened(dataset, ver, scope, subjects)


def _notify(
    db_session: Session,
    opened: _Opened,
    *,
    viewer: User | None,
    channel: str,
    rows: int,
    purpose: str | None,
    subjects: pa.Array,
    data_dir: Path,
    settings: Settings,
) -> None:
    if viewer is None or not opened.subjects or rows == 0:
        return
    scopes.notify_read(
        db_session,
        RowsReadEvent(
            user=viewer,
            dataset=opened.dataset,
            version=opened.version.number,
            channel=channel,
            rows=rows,
            purpose=purpose,
            scope=opened.scope,
            subjects=subjects,
            data_dir=data_dir,
            settings=settings,
            at=utcnow(),
        ),
    )


def _check_columns(query: RowQuery, columns: list[ColumnSchema]) -> None:
    names = {c.name for c in columns} | {"$row"}  # $row: the engine's row number
    asked = [("columns", c) for c in query.columns or []]
    asked += [("filter", f.column) for f in query.filters] + [("sort", s[0]) for s in query.sort]
    for where, col in asked:
        if col not in names:
            raise ValidationFailed(
                f"Unknown column '{col}' in {where}. "
                f"Columns: {', '.join(c.name for c in columns)}.",
                field=where,
            )


def _open_to_everyone(dataset: Dataset) -> bool:
    """Rows anyone may read anonymously (无条件开放, past the release gate if personal).

    A staff read of such rows is counted but not audited, like an anonymous one: the audit
    log is for writes and for access to data that is not public. A read with a stated
    purpose, under a grant, or a whole download is still audited.
    """
    return dataset.public_open_type == OpenType.unconditional


def _record(
    db_session: Session,
    *,
    viewer: User | None,
    dataset: Dataset,
    version: DatasetVersion,
    channel: str,
    rows: int,
    columns: list[str],
    purpose: str | None,
    detail: dict[str, Any],
    scope: ReadScope | None = None,
) -> None:
    if scope is not None:
        purpose = purpose or scope.purpose
        detail = {**detail, "grant": scope.grant_id, "deidentified": sorted(scope.deidentified)}
    usage.count_read(
        db_session,
        dataset_id=dataset.id,
        department_code=access.department_label(viewer),
        channel=channel,
        rows=rows,
        columns=columns,
    )
    if viewer is not None and (
        scope is not None or purpose or not _open_to_everyone(dataset) or channel == "download"
    ):
        audit_service.record(
            db_session,
            actor=viewer,
            action=f"datahub.rows.{'download' if channel == 'download' else 'read'}",
            object_type="dataset",
            object_id=dataset.name,
            purpose=purpose,
            detail={"version": version.number, "rows": rows, "columns": columns, **detail},
        )


def read_rows(
    *,
    db_session: Session,
    data_dir: Path,
    viewer: User | None,
    name: str,
    query: RowQuery,
    version: int | None = None,
    purpose: str | None = None,
    channel: Literal["api", "page"] = "api",
    settings: Settings | None = None,
) -> RowsResult:
    """One page of rows the viewer may read; counts and audits the read (caller commits).

    ``channel`` says where the read came from: the data API or a page's row preview.
    ``settings`` supplies the keys a sharing grant pseudonymises with (default: the
    process's settings).
    """
    from citybase.datahub.query import read_rows as engine_read_rows

    settings = settings or get_settings()
    opened = _open(db_session, viewer, name, version, settings)
    columns = versions.columns_of(opened.version)
    if opened.scope is not None:
        query = opened.scope.restrict(query, columns)
    _check_columns(query, columns)
    wanted = list(query.columns or [])
    hidden = [c for c in opened.subjects if wanted and c not in wanted]
    engine_query = query.model_copy(update={"columns": [*wanted, *hidden]}) if hidden else query
    page = engine_read_rows(versions.version_path(data_dir, opened.version), engine_query)
    subject_values = scopes.unique_subjects(
        [pa.array([_text(r.get(c)) for r in page.rows], pa.string()) for c in opened.subjects]
    )
    if hidden:
        page.columns = [c for c in page.columns if c.name not in hidden]
        page.rows = [{k: v for k, v in r.items() if k not in hidden} for r in page.rows]
    if opened.scope is not None:
        page.rows = opened.scope.deidentify_rows(page.rows, page.columns)
    returned = [c.name for c in page.columns]
    _record(
        db_session,
        viewer=viewer,
        dataset=opened.dataset,
        version=opened.version,
        channel=channel,
        rows=len(page.rows),
        columns=returned,
        purpose=purpose,
        detail={"filters": [f.model_dump(mode="json") for f in query.filters], "q": query.q},
        scope=opened.scope,
    )
    _notify(
        db_session,
        opened,
        viewer=viewer,
        channel=channel,
        rows=len(page.rows),
        purpose=purpose,
        subjects=subject_values,
        data_dir=data_dir,
        settings=settings,
    )
    return RowsResult(
        dataset=opened.dataset,
        version=opened.version,
        page=page,
        next_cursor=encode_cursor(page.next_after),
    )


@dataclass
class Export:
    path: Path
    filename: str
    media_type: str
    rows: int


def export_rows(
    *,
    db_session: Session,
    data_dir: Path,
    viewer: User | None,
    name: str,
    fmt: ExportFormat,
    query: RowQuery,
    version: int | None = None,
    purpose: str | None = None,
    csv_encoding: Literal["utf-8-sig", "utf-8", "gbk"] = "utf-8-sig",
    settings: Settings | None = None,
) -> Export:
    """Write every row matching ``query`` (paging ignored) that the viewer may read to a
    temporary file under the data directory; the caller sends and deletes it.

    CSV is UTF-8 with a BOM by default (spreadsheets open it correctly; ``gbk`` for old
    Chinese Excel) and neutralises cells a spreadsheet would run as a formula (leading =,
    +, -, @, tab, CR get an apostrophe). Under a sharing grant the rows stream through the
    grant's de-identification before the file is written.
    """
    from citybase.datahub import export as engine_export

    if fmt not in MEDIA_TYPES:  # a typed caller cannot get here; a CLI or form caller can
        raise ValidationFailed(f"Unknown format '{fmt}'; use csv, json or parquet.", field="format")
    settings = settings or get_settings()
    opened = _open(db_session, viewer, name, version, settings)
    dataset, ver, scope = opened.dataset, opened.version, opened.scope
    columns = versions.columns_of(ver)
    if scope is not None:
        query = scope.restrict(query, columns)
    _check_columns(query, columns)
    tmp_dir = data_dir / "datahub" / "exports"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=tmp_dir, suffix=f".{fmt}", delete=False)  # noqa: SIM115
    handle.close()
    out = Path(handle.name)
    source = versions.version_path(data_dir, ver)
    subjects = pa.array([], pa.string())
    try:
        if scope is not None:
            rows, subjects = engine_export.write_deidentified(
                source,
                out,
                fmt,
                query,
                deidentify=scope.deidentify,
                subject_columns=opened.subjects,
                encoding=csv_encoding,
            )
        elif fmt == "csv":
            rows = engine_export.write_csv(source, out, query, encoding=csv_encoding)
        elif fmt == "json":
            rows = engine_export.write_json(source, out, query)
        else:
            rows = engine_export.write_parquet(source, out, query)
        if scope is None and opened.subjects and viewer is not None:
            subjects = engine_export.subject_values(source, query, opened.subjects)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    projected = query.columns or [c.name for c in columns]
    _record(
        db_session,
        viewer=viewer,
        dataset=dataset,
        version=ver,
        channel="download",
        rows=rows,
        columns=projected,
        purpose=purpose,
        detail={"format": fmt, "filters": [f.model_dump(mode="json") for f in query.filters]},
        scope=scope,
    )
    _notify(
        db_session,
        opened,
        viewer=viewer,
        channel="download",
        rows=rows,
        purpose=purpose,
        subjects=subjects,
        data_dir=data_dir,
        settings=settings,
    )
    return Export(
        path=out,
        filename=f"{dataset.name}-v{ver.number}.{fmt}",
        media_type=MEDIA_TYPES[fmt],
        rows=rows,
    )
