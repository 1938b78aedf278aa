"""``datastore_search``: rows of a resource (a dataset's current version), CKAN-shaped.

Rows come through the catalog's ``read_rows``, which authorises the caller, reads the
Parquet file through the file engine, counts the read in the usage statistics and audits it
for signed-in callers. An anonymous read of a dataset with personal-data columns is audited
here too, so every read of personal data leaves a record.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import service as datahub_service
from citybase.datahub.models import Dataset
from citybase.datahub.types import ColumnSchema, ColumnType, RowFilter, RowQuery
from citybase.errors import NotFound, ValidationFailed
from citybase.identity.models import User
from citybase.opendata import catalog_read
from citybase.opendata.ckan_context import ActionContext, action
from citybase.opendata.ckan_params import get_bool, get_int, get_json, get_str
from citybase.opendata.datastore_params import (
    ROW_ID,
    ckan_fields,
    needs_conversion,
    parse_datastore_sort,
    parse_fields,
    parse_filters,
    parse_q,
    record_value,
)

LIMIT_DEFAULT = 100
LIMIT_MAX = 10_000  # larger requests are cut to this, as CKAN cuts to rows_max
RECORD_FORMATS = ("objects", "lists", "csv", "tsv")
ENGINE_ROW = "$row"  # the file engine's 1-based row number: CKAN's _id
DEFAULT_PURPOSE = "开放数据接口 datastore_search"

# resource id → dataset row id: resource ids are derived, so this only saves a catalog scan.
_resource_index: dict[str, int] = {}
_index_lock = threading.Lock()


def _current_resource_id(dataset: Dataset) -> str | None:
    if dataset.current_version is None:
        return None
    return catalog_read.resource_uuid(catalog_read.dataset_uuid(dataset), dataset.current_version)


def resolve_resource(*, db_session: Session, viewer: User | None, resource_id: str) -> Dataset:
    """The dataset whose current version ``resource_id`` names (a resource UUID, or the
    dataset's name as an alias for its current version), if the caller may see it."""
    missing = NotFound(f'Resource "{resource_id}" was not found.', field="resource_id")
    by_name = datahub_service.find_dataset(db_session=db_session, name=resource_id)
    if by_name is not None:
        if not catalog_read.visible(viewer, by_name) or by_name.current_version is None:
            raise missing
        return by_name
    with _index_lock:
        known = _resource_index.get(resource_id)
    candidate = db_session.get(Dataset, known) if known is not None else None
    if candidate is None or _current_resource_id(candidate) != resource_id:
        candidate = None
        for ds in catalog_read.visible_datasets(db_session=db_session, viewer=viewer):
            rid = _current_resource_id(ds)
            if rid is None:
                continue
            with _index_lock:
                if len(_resource_index) > 100_000:
                    _resource_index.clear()
                _resource_index[rid] = ds.id
            if rid == resource_id:
                candidate = ds
    if candidate is None or not catalog_read.visible(viewer, candidate):
        raise missing
    return candidate


def _links(data: dict[str, Any], offset: int, limit: int) -> dict[str, str]:
    keep = {
        k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
        for k, v in data.items()
        if k not in ("offset",) and v is not None
    }
    start = "/api/3/action/datastore_search?" + urlencode(keep)
    after = "/api/3/action/datastore_search?" + urlencode({**keep, "offset": offset + limit})
    return {"start": start, "next": after}


def _delimited(rows: list[list[Any]], delimiter: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


@action
def datastore_search(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Rows of a resource.

    ``resource_id`` (a resource id from package_show, or the dataset's name for its current
    version); ``filters`` a JSON object column → value or list of values; ``q`` text found
    in any text column, or an object column → text; ``fields`` the columns to return (list
    or comma-separated); ``sort`` like ``"人口 desc, 区"``; ``limit`` (default 100, cut to
    10000) and ``offset``; ``include_total`` (default true); ``records_format`` objects,
    lists, csv or tsv; ``purpose`` why you read (recorded in the audit log).

    ``_id`` is each row's 1-based position in the version file; it may be returned,
    filtered on and sorted by like any column.

    Result: ``fields`` ([{id, type}], CKAN type names, ``_id`` first), ``records``,
    ``total``, ``limit``, ``offset``, ``_links`` {start, next}.
    """
    resource_id = get_str(data, "resource_id", required=True) or get_str(data, "id") or ""
    dataset = resolve_resource(db_session=ctx.db_session, viewer=ctx.user, resource_id=resource_id)
    version = datahub_service.get_version(db_session=ctx.db_session, dataset=dataset)
    columns: list[ColumnSchema] = datahub_service.columns_of(version)
    types = {c.name: c.type for c in columns}

    with_id: dict[str, ColumnType] = {ROW_ID: "integer", **types}
    filters = [_engine_filter(f) for f in parse_filters(get_json(data, "filters"), with_id)]
    text, per_column = parse_q(data, types)
    selected = parse_fields(data, types)
    sort = [(ENGINE_ROW if n == ROW_ID else n, d) for n, d in parse_datastore_sort(data, types)]
    if get_bool(data, "distinct", default=False):
        raise ValidationFailed(
            "distinct is not supported here: ask for the columns you need with 'fields'.",
            field="distinct",
        )
    limit = min(get_int(data, "limit", default=LIMIT_DEFAULT), LIMIT_MAX)
    offset = get_int(data, "offset", default=0)
    include_total = get_bool(data, "include_total", default=True)
    records_format = get_str(data, "records_format") or "objects"
    if records_format not in RECORD_FORMATS:
        raise ValidationFailed(
            f"records_format must be one of {', '.join(RECORD_FORMATS)}.", field="records_format"
        )
    purpose = get_str(data, "purpose") or DEFAULT_PURPOSE

    out_names = list(selected) if selected else [ROW_ID, *types]
    query = RowQuery(
        columns=[ENGINE_ROW if n == ROW_ID else n for n in out_names],
        filters=[*filters, *per_column],
        q=text,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    result = datahub_service.read_rows(
        db_session=ctx.db_session,
        data_dir=ctx.settings.data_dir,
        viewer=ctx.user,
        name=dataset.name,
        query=query,
        version=version.number,
        purpose=purpose,
    )
    page = result.page
    records_lists = _records(page.rows, out_names, types)
    if ctx.user is None and catalog_read.personal_dataset_ids(ctx.db_session, [dataset.id]):
        audit_service.record(
            ctx.db_session,
            actor=None,
            action="opendata.datastore_search",
            object_type="dataset",
            object_id=dataset.name,
            purpose=purpose,
            department_code="public",
            detail={"caller": "anonymous", "version": version.number, "rows": len(page.rows)},
        )
    records: Any
    if records_format == "objects":
        records = [dict(zip(out_names, row, strict=True)) for row in records_lists]
    elif records_format == "lists":
        records = records_lists
    else:
        records = _delimited(records_lists, "," if records_format == "csv" else "\t")
    out: dict[str, Any] = {
        "resource_id": resource_id,
        "fields": ckan_fields(columns, out_names),
        "records": records,
        "records_format": records_format,
        "limit": limit,
        "offset": offset,
        "include_total": include_total,
        "_links": _links(data, offset, limit),
    }
    if include_total:
        out["total"] = page.total
        out["total_was_estimated"] = False
    for key in ("filters", "q", "sort"):
        if data.get(key) not in (None, ""):
            out[key] = get_json(data, key)
    return out


def _engine_filter(flt: RowFilter) -> RowFilter:
    """A filter on ``_id`` is a filter on the engine's row number."""
    return flt.model_copy(update={"column": ENGINE_ROW}) if flt.column == ROW_ID else flt


def _records(
    rows: list[dict[str, Any]], names: list[str], types: dict[str, ColumnType]
) -> list[list[Any]]:
    """Rows as lists in ``names`` order, cells converted to JSON the way CKAN returns them."""
    keys = [ENGINE_ROW if n == ROW_ID else n for n in names]
    convert = {n for n in names if n != ROW_ID and needs_conversion(types[n])}
    return [
        [
            record_value(row.get(key)) if name in convert else row.get(key)
            for name, key in zip(names, keys, strict=True)
        ]
        for row in rows
    ]
