"""Reads outside the owning department: the scope a plug-in grants, and the read events.

The data hub knows nothing of sharing requests and grants. When a signed-in user may not
read a dataset in full (``access.can_read``), it asks the plug-ins — hook
``citybase_read_scope`` — whether that user may read *part* of it, and gets back a
``ReadScope`` (granted columns, row filters, de-identification, purpose) or a
``ReadRefusal`` saying why not (e.g. "your grant expired on …"). After every staff read of
rows from a dataset that holds personal subjects (a column whose ``pii_type`` is the ID
number), plug-ins hear of it — hook ``citybase_rows_read`` — with the subjects' ID numbers,
so a data tracker can record who read whom without the data hub depending on it.

Privacy rules a scope enforces on the caller's own query (a consumer must not be able to
probe values it is only given de-identified):
- only granted columns may be projected, filtered or sorted; asking for another is refused
  naming the column;
- columns the scope de-identifies may be projected but not filtered or sorted on
  (``id_number = X`` would tell whether X is in the data), and ``q`` (a search over every
  text column) is refused;
- the scope's own filters are ANDed with the caller's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from citybase.datahub import access, versions
from citybase.datahub.query import compile_query
from citybase.datahub.types import ColumnSchema, RowFilter, RowQuery
from citybase.errors import CitybaseError, PermissionDenied, ValidationFailed
from citybase.privacy.deid import DeidPolicy, apply_policy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from citybase.datahub.models import Dataset
    from citybase.identity.models import User
    from citybase.settings import Settings

#: The ``pii_type`` of columns that identify the person a row is about (公民身份号码).
SUBJECT_PII_TYPE = "CN_ID_CARD"
ROW_KEY = "$row"

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "binary": pa.binary(),
}


@dataclass(frozen=True)
class ReadRefusal:
    """A plug-in's clear "no": the message tells the reader why and what to do."""

    message: str


@dataclass(frozen=True)
class ReadScope:
    """What a grant lets a reader see: columns, row filters, de-identification, purpose."""

    grant_id: int
    columns: tuple[str, ...]
    filters: tuple[RowFilter, ...]
    policy: DeidPolicy | None
    key_id: str
    purpose: str
    legal_basis: str = ""
    key: bytes = field(default=b"", repr=False)

    @property
    def deidentified(self) -> frozenset[str]:
        return frozenset(self.policy.columns) if self.policy else frozenset()

    def restrict(self, query: RowQuery, dataset_columns: list[ColumnSchema]) -> RowQuery:
        """The caller's query narrowed to the grant (refusing what it may not ask)."""
        granted = set(self.columns) | {ROW_KEY}
        asked = [("columns", c) for c in query.columns or []]
        asked += [("filter", f.column) for f in query.filters]
        asked += [("sort", s[0]) for s in query.sort]
        for where, column in asked:
            if column not in granted:
                raise PermissionDenied(
                    f"Column '{column}' (in {where}) is not covered by sharing grant "
                    f"#{self.grant_id}; granted columns: {', '.join(self.columns)}. Ask the "
                    "owning department to extend the grant.",
                    field=where,
                    code="column_not_granted",
                )
            if where != "columns" and column in self.deidentified:
                raise PermissionDenied(
                    f"Column '{column}' is de-identified under sharing grant #{self.grant_id}: "
                    f"it may be read but not used in {where} (that would reveal clear values).",
                    field=where,
                    code="column_deidentified",
                )
        if query.q:
            raise ValidationFailed(
                "Full-text search (q) is not available when reading under a sharing grant: "
                "use filters on granted columns instead.",
                field="q",
            )
        order = [c.name for c in dataset_columns if c.name in set(self.columns)]
        return query.model_copy(
            update={
                "columns": list(query.columns) if query.columns else order,
                "filters": [*self.filters, *query.filters],
            }
        )

    def deidentify(self, table: pa.Table) -> pa.Table:
        """The table with the grant's policy applied to the columns it holds."""
        if self.policy is None:
            return table
        present = {n: ops for n, ops in self.policy.columns.items() if n in table.column_names}
        if not present:
            return table
        out = apply_policy(table, DeidPolicy(columns=present), key=self.key, key_id=self.key_id)
        return out.replace_schema_metadata(table.schema.metadata)

    def deidentify_rows(
        self, rows: list[dict[str, Any]], columns: list[ColumnSchema]
    ) -> list[dict[str, Any]]:
        """A page of rows (dicts) with the policy applied, column by column."""
        if self.policy is None or not rows:
            return rows
        types = {c.name: c.type for c in columns}
        names = [n for n in self.policy.columns if n in types]
        if not names:
            return rows
        table = pa.table(
            {n: pa.array([r[n] for r in rows], type=_ARROW_TYPES.get(types[n])) for n in names}
        )
        done = self.deidentify(table)
        values = {n: done.column(n).to_pylist() for n in names}
        return [{**r, **{n: values[n][i] for n in names}} for i, r in enumerate(rows)]


@dataclass(frozen=True)
class RowsReadEvent:
    """A staff read of rows about personal subjects, as the data tracker needs it.

    ``subjects`` holds the clear ID numbers of the rows returned (every value of every
    subject column, duplicates removed); it lives only in this process and a listener must
    never store it in clear.
    """

    user: User
    dataset: Dataset
    version: int
    channel: str
    rows: int
    purpose: str | None
    scope: ReadScope | None
    subjects: pa.Array
    data_dir: Path
    settings: Settings
    at: dt.datetime


def read_scope(
    *, db_session: Session, user: User, dataset: Dataset, settings: Settings
) -> ReadScope | None:
    """The plug-ins' scope for ``user`` on ``dataset``; a refusal is raised as 403."""
    from citybase.plugins import get_plugin_manager

    answer = get_plugin_manager().hook.citybase_read_scope(
        db_session=db_session, user=user, dataset=dataset, settings=settings
    )
    if isinstance(answer, ReadRefusal):
        raise PermissionDenied(answer.message, code="grant_inactive")
    return answer if isinstance(answer, ReadScope) else None


def read_access(
    user: User | None, dataset: Dataset, *, db_session: Session, settings: Settings
) -> ReadScope | None:
    """How ``user`` may read rows: None means in full, a ``ReadScope`` means under a grant.

    Raises the reason when neither (a plug-in's refusal, e.g. an expired grant, or the
    usual "ask for access" message).
    """
    if access.can_read(user, dataset, db_session=db_session):
        return None
    if user is not None and access.is_staff(user):
        scope = read_scope(db_session=db_session, user=user, dataset=dataset, settings=settings)
        if scope is not None:
            return scope
    access.ensure_can_read(user, dataset, db_session=db_session)
    return None  # unreachable: ensure_can_read raised


def can_read_rows(
    user: User | None, dataset: Dataset, *, db_session: Session, settings: Settings
) -> bool:
    """May ``user`` read any rows of ``dataset``, in full or under a grant? (For pages.)"""
    try:
        read_access(user, dataset, db_session=db_session, settings=settings)
    except CitybaseError:
        return False
    return True


def subject_columns(*, db_session: Session, dataset: Dataset) -> list[str]:
    """Columns of ``dataset`` that hold ID numbers, i.e. say whom a row is about."""
    from sqlalchemy import select

    from citybase.datahub.models import DatasetColumn

    stmt = (
        select(DatasetColumn.name)
        .where(
            DatasetColumn.dataset_id == dataset.id,
            DatasetColumn.pii_type == SUBJECT_PII_TYPE,
            DatasetColumn.present.is_(True),
        )
        .order_by(DatasetColumn.position)
    )
    return list(db_session.scalars(stmt))


def notify_read(db_session: Session, event: RowsReadEvent) -> None:
    from citybase.plugins import get_plugin_manager

    get_plugin_manager().hook.citybase_rows_read(db_session=db_session, event=event)


def unique_subjects(arrays: list[pa.Array]) -> pa.Array:
    """Distinct non-null ID numbers from one or more columns, as text."""
    import pyarrow.compute as pc

    parts = [pc.cast(a, pa.string()) for a in arrays if len(a)]
    if not parts:
        return pa.array([], pa.string())
    merged = pa.chunked_array(parts, pa.string()).combine_chunks()
    return pc.unique(merged.drop_null())


def check_filters(
    *, db_session: Session, data_dir: Path, dataset: Dataset, filters: list[RowFilter]
) -> None:
    """Refuse filters that name a column the dataset lacks or hold a value that does not
    fit the column's type (for sharing requests, before anyone approves them)."""
    ver = versions.current_version(db_session=db_session, dataset=dataset)
    if ver is None:
        raise ValidationFailed(
            f"Dataset '{dataset.name}' has no rows loaded yet: there is nothing to share.",
            field="dataset",
        )
    names = [c.name for c in versions.columns_of(ver)]
    for i, flt in enumerate(filters):
        if flt.column not in names:
            raise ValidationFailed(
                f"row_filter[{i}]: unknown column '{flt.column}'. Columns: {', '.join(names)}.",
                field=f"row_filter[{i}].column",
            )
    if filters:
        compile_query(
            versions.version_path(data_dir, ver), RowQuery(columns=names[:1], filters=filters)
        )
