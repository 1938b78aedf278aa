"""Usage counters and the high-frequency common data report (高频共性数据).

Every read of rows (API, download, or a page's row preview) adds to two day × department
counters: one for the dataset, one for each data element bound to a column the read
returned. Reads are merged in memory and written in batches (``citybase.writebehind``:
within seconds, and always before a report reads them) with ``INSERT … ON CONFLICT DO
UPDATE`` (the same statement on SQLite and PostgreSQL), so a read takes no write lock.
The report ranks elements by how many departments read them, then by reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable
from typing import Any, cast

from sqlalchemy import Table, distinct, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from citybase import writebehind
from citybase.datahub.models import (
    DataElement,
    Dataset,
    DatasetUsage,
    ElementBinding,
    ElementUsage,
)
from citybase.datahub.schemas import DatasetUsageRow, ElementUsageRow, UsageReport
from citybase.db import utcnow
from citybase.errors import ValidationFailed
from citybase.identity.models import Department

CHANNELS = ("api", "download", "page")


def _upsert(
    db_session: Session,
    table: Table,
    rows: list[dict[str, object]],
    keys: list[str],
    add: list[str],
) -> None:
    if not rows:
        return
    dialect = db_session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c: table.c[c] + stmt.excluded[c] for c in add},
    )
    db_session.execute(stmt)


def elements_read(db_session: Session, dataset_id: int, columns: Iterable[str] | None) -> list[int]:
    """Ids of the elements bound to ``columns`` of the dataset (all bound ones when None)."""
    stmt = (
        select(ElementBinding.element_id).where(ElementBinding.dataset_id == dataset_id).distinct()
    )
    if columns is not None:
        stmt = stmt.where(ElementBinding.column.in_(list(columns)))
    return sorted(db_session.scalars(stmt))


def _write_counts(db_session: Session, items: dict[Hashable, Any]) -> None:
    """Upsert buffered reads: key (day, dataset, department, channel, columns)."""
    ids = {cast(tuple[Any, ...], k)[1] for k in items}
    alive = set(db_session.scalars(select(Dataset.id).where(Dataset.id.in_(ids))))
    datasets: dict[tuple[Any, ...], list[int]] = {}
    elements: dict[tuple[Any, ...], int] = {}
    bound: dict[tuple[int, tuple[str, ...] | None], list[int]] = {}
    for key, (reads, rows) in items.items():
        day, dataset_id, dept, channel, columns = cast(
            tuple[dt.date, int, str, str, tuple[str, ...] | None], key
        )
        if dataset_id not in alive:  # deleted since the read
            continue
        agg = datasets.setdefault((day, dataset_id, dept, channel), [0, 0])
        agg[0] += reads
        agg[1] += rows
        if (dataset_id, columns) not in bound:
            bound[(dataset_id, columns)] = elements_read(db_session, dataset_id, columns)
        for element_id in bound[(dataset_id, columns)]:
            ek = (day, element_id, dept)
            elements[ek] = elements.get(ek, 0) + reads
    _upsert(
        db_session,
        DatasetUsage.__table__,  # type: ignore[arg-type]
        [
            {"day": d, "dataset_id": i, "department_code": dp, "channel": c, "reads": r, "rows": n}
            for (d, i, dp, c), (r, n) in sorted(datasets.items())
        ],
        ["day", "dataset_id", "department_code", "channel"],
        ["reads", "rows"],
    )
    _upsert(
        db_session,
        ElementUsage.__table__,  # type: ignore[arg-type]
        [
            {"day": d, "element_id": e, "department_code": dp, "reads": r}
            for (d, e, dp), r in sorted(elements.items())
        ],
        ["day", "element_id", "department_code"],
        ["reads"],
    )


def _add_pair(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return (a[0] + b[0], a[1] + b[1])


#: Reads are counted in memory and written in batches (``citybase.writebehind``).
USAGE_BUFFER = writebehind.Buffer(name="datahub.usage", merge=_add_pair, write=_write_counts)


def count_read(
    db_session: Session,
    *,
    dataset_id: int,
    department_code: str,
    channel: str,
    rows: int,
    columns: Iterable[str] | None,
    reads: int = 1,
    day: dt.date | None = None,
) -> None:
    """Add one read (or ``reads``) to the dataset's and its read elements' counters.

    Nothing is written now: the counts are merged in memory and written within seconds (or
    by ``flush_counts`` before a report), so a read takes no write lock.
    """
    if channel not in CHANNELS:
        raise ValidationFailed(
            f"Unknown channel '{channel}'; use one of {', '.join(CHANNELS)}.", field="channel"
        )
    day = day or utcnow().date()
    cols = tuple(sorted(columns)) if columns is not None else None
    writebehind.add(
        db_session, USAGE_BUFFER, (day, dataset_id, department_code, channel, cols), (reads, rows)
    )


def flush_counts(db_session: Session) -> None:
    """Write the reads counted so far in ``db_session``'s transaction (before a report)."""
    writebehind.flush(db_session, USAGE_BUFFER)


def high_frequency(
    *,
    db_session: Session,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 50,
    include_owner: bool = True,
) -> UsageReport:
    """Elements and datasets ranked by distinct requesting departments, then reads.

    ``include_owner=False`` leaves out the element's authority department (and, for
    datasets, the owner) to see only what *other* departments need. ``public`` and
    ``platform`` readers are never counted as departments.
    """
    flush_counts(db_session)
    until = until or utcnow().date()
    since = since or until - dt.timedelta(days=30)
    if since > until:
        raise ValidationFailed(f"since ({since}) is after until ({until}).", field="since")
    not_depts = ("public", "platform", "none")

    authority = (
        select(
            ElementBinding.element_id,
            Dataset.name.label("dataset_name"),
            Department.code.label("owner"),
        )
        .join(Dataset, Dataset.id == ElementBinding.dataset_id)
        .join(Department, Department.id == Dataset.department_id)
        .where(ElementBinding.role == "authority")
        .subquery()
    )
    eu = ElementUsage
    stmt = (
        select(
            DataElement.code,
            DataElement.name,
            func.count(distinct(eu.department_code)),
            func.sum(eu.reads),
            authority.c.dataset_name,
        )
        .join(eu, eu.element_id == DataElement.id)
        .outerjoin(authority, authority.c.element_id == DataElement.id)
        .where(eu.day >= since, eu.day <= until, eu.department_code.notin_(not_depts))
        .group_by(DataElement.code, DataElement.name, authority.c.dataset_name)
    )
    if not include_owner:
        stmt = stmt.where((authority.c.owner.is_(None)) | (eu.department_code != authority.c.owner))
    rows = db_session.execute(stmt).all()
    depts_by_element: dict[str, list[str]] = {}
    dept_stmt = (
        select(DataElement.code, eu.department_code)
        .join(eu, eu.element_id == DataElement.id)
        .outerjoin(authority, authority.c.element_id == DataElement.id)
        .where(eu.day >= since, eu.day <= until, eu.department_code.notin_(not_depts))
        .distinct()
    )
    if not include_owner:
        dept_stmt = dept_stmt.where(
            (authority.c.owner.is_(None)) | (eu.department_code != authority.c.owner)
        )
    for code, dept in db_session.execute(dept_stmt):
        depts_by_element.setdefault(code, []).append(dept)
    elements = sorted(
        (
            ElementUsageRow(
                element_code=code,
                element_name=name,
                departments=int(n),
                reads=int(reads or 0),
                department_codes=sorted(depts_by_element.get(code, [])),
                authority=auth,
            )
            for code, name, n, reads, auth in rows
        ),
        key=lambda r: (-r.departments, -r.reads, r.element_code),
    )[:limit]

    du = DatasetUsage
    ds_stmt = (
        select(
            Dataset.name,
            Dataset.title,
            Department.code,
            func.count(distinct(du.department_code)),
            func.sum(du.reads),
            func.sum(du.rows),
        )
        .join(du, du.dataset_id == Dataset.id)
        .join(Department, Department.id == Dataset.department_id)
        .where(du.day >= since, du.day <= until, du.department_code.notin_(not_depts))
        .group_by(Dataset.name, Dataset.title, Department.code)
    )
    if not include_owner:
        ds_stmt = ds_stmt.where(du.department_code != Department.code)
    datasets = sorted(
        (
            DatasetUsageRow(
                dataset=name,
                title=title,
                department_code=owner,
                departments=int(n),
                reads=int(r or 0),
                rows=int(rr or 0),
            )
            for name, title, owner, n, r, rr in db_session.execute(ds_stmt)
        ),
        key=lambda r: (-r.departments, -r.reads, r.dataset),
    )[:limit]
    return UsageReport(since=since, until=until, elements=elements, datasets=datasets)


def dataset_usage(
    *, db_session: Session, dataset: Dataset, days: int = 30
) -> list[tuple[str, int, int]]:
    """(requesting department, reads, rows) for one dataset over the last ``days`` days."""
    flush_counts(db_session)
    since = utcnow().date() - dt.timedelta(days=days)
    du = DatasetUsage
    rows = db_session.execute(
        select(du.department_code, func.sum(du.reads), func.sum(du.rows))
        .where(du.dataset_id == dataset.id, du.day >= since)
        .group_by(du.department_code)
        .order_by(func.sum(du.reads).desc())
    ).all()
    return [(d, int(r or 0), int(n or 0)) for d, r, n in rows]


def reads_on(
    *, db_session: Session, day: dt.date, department_code: str | None = None
) -> dict[str, int]:
    """Reads of datasets on one day (the dashboard's figures): ``public`` — by people not
    signed in, i.e. open-data downloads and API calls; ``downloads`` — file downloads by
    anyone; ``total``. ``department_code``: only that department's datasets."""
    du = DatasetUsage
    stmt = select(du.department_code, du.channel, func.sum(du.reads)).where(du.day == day)
    if department_code is not None:
        owned = (
            select(Dataset.id)
            .join(Department, Department.id == Dataset.department_id)
            .where(Department.code == department_code)
        )
        stmt = stmt.where(du.dataset_id.in_(owned))
    out = {"public": 0, "downloads": 0, "total": 0}
    for who, channel, reads in db_session.execute(stmt.group_by(du.department_code, du.channel)):
        n = int(reads or 0)
        out["total"] += n
        out["public"] += n if who == "public" else 0
        out["downloads"] += n if channel == "download" else 0
    return out
