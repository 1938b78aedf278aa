"""Dataset metadata: create, edit, look up, list, search, lineage. Every change is audited."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import access, search, themes
from citybase.datahub.enums import OpenType, SharingType, UpdateFrequency
from citybase.datahub.models import (
    DataElement,
    Dataset,
    DatasetColumn,
    ElementBinding,
)
from citybase.datahub.opengate import ensure_may_open, ensure_open_licence
from citybase.datahub.schemas import (
    ColumnRead,
    DatasetCreate,
    DatasetHit,
    DatasetRead,
    DatasetUpdate,
    FacetCount,
    SearchResults,
    check_name,
)
from citybase.db import utcnow
from citybase.errors import Conflict, NotFound, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.models import Department, User

# --- look-ups ----------------------------------------------------------------------------


def find_dataset(*, db_session: Session, name: str) -> Dataset | None:
    return db_session.scalar(select(Dataset).where(Dataset.name == name))


def get_dataset(
    *, db_session: Session, name: str, viewer: User | None = None, check: bool = True
) -> Dataset:
    """The dataset called ``name`` if ``viewer`` may see its metadata (404 otherwise).

    ``check=False`` skips the visibility check (internal callers that authorise themselves).
    A dataset the viewer may not see is reported as missing, so names do not leak.
    """
    ds = find_dataset(db_session=db_session, name=name)
    if ds is None or (check and not access.sees_metadata(viewer, ds)):
        raise NotFound(
            f"No dataset named '{name}'. Search the catalog at /datahub "
            "or GET /api/datahub/datasets.",
            field="name",
        )
    return ds


def list_datasets(
    *,
    db_session: Session,
    viewer: User | None,
    department_code: str | None = None,
    limit: int = 1000,
    offset: int = 0,
    as_staff: bool | None = None,
) -> list[Dataset]:
    """Datasets the viewer may see, by name (``as_staff=True``: the system's full view)."""
    stmt = select(Dataset).order_by(Dataset.name).limit(limit).offset(offset)
    if department_code:
        stmt = stmt.join(Department, Department.id == Dataset.department_id).where(
            Department.code == department_code
        )
    staff = access.is_staff(viewer) if as_staff is None else as_staff
    if not staff:
        stmt = stmt.where(
            Dataset.open_type.in_(access.PUBLIC_OPEN_TYPES), Dataset.held_back.is_(False)
        )
    return list(db_session.scalars(stmt))


def dataset_columns(
    *, db_session: Session, dataset: Dataset, present_only: bool = True
) -> list[DatasetColumn]:
    stmt = select(DatasetColumn).where(DatasetColumn.dataset_id == dataset.id)
    if present_only:
        stmt = stmt.where(DatasetColumn.present.is_(True))
    return list(db_session.scalars(stmt.order_by(DatasetColumn.position, DatasetColumn.name)))


def failing_rules(dataset: Dataset) -> int | None:
    """How many rules failed in the dataset's latest quality report (None: never checked)."""
    if not dataset.quality_report:
        return None
    report = json.loads(dataset.quality_report)
    return sum(1 for r in report.get("results", []) if r.get("failed"))


def keywords_of(dataset: Dataset) -> list[str]:
    value = json.loads(dataset.keywords or "[]")
    return [str(v) for v in value] if isinstance(value, list) else []


def to_read(db_session: Session, dataset: Dataset, *, locale: str = "zh-CN") -> DatasetRead:
    theme_name = next(
        (t.name(locale) for t in themes.themes() if t.code == dataset.theme), dataset.theme
    )
    return DatasetRead(
        name=dataset.name,
        title=dataset.title,
        description=dataset.description,
        department_code=dataset.department.code,
        department_name=dataset.department.name(locale),
        contact_name=dataset.contact_name,
        contact_email=dataset.contact_email,
        contact_phone=dataset.contact_phone,
        theme=dataset.theme,
        theme_name=theme_name,
        keywords=keywords_of(dataset),
        update_frequency=UpdateFrequency(dataset.update_frequency),
        temporal_start=dataset.temporal_start,
        temporal_end=dataset.temporal_end,
        spatial=dataset.spatial,
        licence=dataset.licence,
        sharing_type=SharingType(dataset.sharing_type),
        sharing_condition=dataset.sharing_condition,
        open_type=OpenType(dataset.open_type),
        open_condition=dataset.open_condition,
        current_version=dataset.current_version,
        row_count=dataset.row_count,
        source_format=dataset.source_format,
        last_loaded_at=dataset.last_loaded_at,
        quality_score=dataset.quality_score,
        quality_failing_rules=failing_rules(dataset),
        created_at=dataset.created_at,
        updated_at=dataset.updated_at,
        columns=[
            ColumnRead.model_validate(c)
            for c in dataset_columns(db_session=db_session, dataset=dataset)
        ],
    )


# --- create and edit ---------------------------------------------------------------------


def _validate_fields(values: dict[str, Any]) -> None:
    if "theme" in values and values["theme"] is not None:
        themes.theme_by_code(values["theme"])
    if "licence" in values and values["licence"] is not None:
        themes.licence_by_id(values["licence"])  # known; whether it may be open: opengate
    start, end = values.get("temporal_start"), values.get("temporal_end")
    if start and end and start > end:
        raise ValidationFailed(
            f"temporal_start {start} is after temporal_end {end}.", field="temporal_start"
        )
    for kind in ("sharing", "open"):
        ktype, cond = values.get(f"{kind}_type"), values.get(f"{kind}_condition")
        if ktype == "conditional" and cond is not None and not str(cond).strip():
            raise ValidationFailed(
                f"A {kind} type of 'conditional' needs {kind}_condition: say who may get the "
                "data and on what terms.",
                field=f"{kind}_condition",
            )


def create_dataset(*, db_session: Session, actor: User | None, data: DatasetCreate) -> Dataset:
    """Catalogue a new dataset in the actor's department (or ``data.department_code``)."""
    access.ensure_steward(actor, what="create")
    check_name(data.name)
    code = data.department_code or (actor.department_code if actor else None)
    if code is None:
        raise ValidationFailed(
            "Give department_code: which department owns the dataset.", field="department_code"
        )
    dept = identity_service.get_department(db_session=db_session, code=code)
    if actor is not None:
        identity_service.ensure_department_access(actor, dept.id, what=f"department {code}")
    if find_dataset(db_session=db_session, name=data.name) is not None:
        raise Conflict(
            f"A dataset named '{data.name}' already exists; choose another name.", field="name"
        )
    values = data.model_dump(exclude={"name", "department_code"})
    _validate_fields(values)
    ensure_open_licence(
        dataset=Dataset(name=data.name),
        open_type=str(values.get("open_type") or ""),
        licence=values.get("licence"),
    )
    now = utcnow()
    ds = Dataset(
        name=data.name,
        department_id=dept.id,
        created_by_name=actor.username if actor else "system",
        created_at=now,
        updated_at=now,
        **{
            k: (json.dumps(v, ensure_ascii=False) if k == "keywords" else v)
            for k, v in values.items()
        },
    )
    db_session.add(ds)
    db_session.flush()
    reindex(db_session=db_session, dataset=ds)
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.dataset.create",
        object_type="dataset",
        object_id=ds.name,
        detail={"department": code, "title": ds.title},
    )
    return ds


def update_dataset(
    *, db_session: Session, actor: User | None, name: str, data: DatasetUpdate
) -> Dataset:
    ds = get_dataset(db_session=db_session, name=name, viewer=actor, check=actor is not None)
    access.ensure_can_edit(actor, ds, what="edit")
    changes = data.model_dump(exclude_unset=True)
    merged = {
        "open_type": changes.get("open_type", ds.open_type),
        "licence": changes.get("licence", ds.licence),
        "temporal_start": changes.get("temporal_start", ds.temporal_start),
        "temporal_end": changes.get("temporal_end", ds.temporal_end),
        "theme": changes.get("theme"),
    }
    for kind in ("sharing", "open"):
        if f"{kind}_type" in changes or f"{kind}_condition" in changes:
            merged[f"{kind}_type"] = changes.get(f"{kind}_type", getattr(ds, f"{kind}_type"))
            merged[f"{kind}_condition"] = changes.get(
                f"{kind}_condition", getattr(ds, f"{kind}_condition")
            )
    _validate_fields(merged)
    if changes.get("open_type"):
        ensure_may_open(db_session=db_session, dataset=ds, open_type=str(changes["open_type"]))
    if "open_type" in changes or "licence" in changes:
        ensure_open_licence(
            dataset=ds, open_type=str(merged["open_type"]), licence=merged["licence"]
        )
    detail: dict[str, Any] = {}
    for key, value in changes.items():
        if value is None and key not in ("temporal_start", "temporal_end"):
            continue
        stored = json.dumps(value, ensure_ascii=False) if key == "keywords" else value
        if getattr(ds, key) != stored:
            detail[key] = {"from": getattr(ds, key), "to": stored}
            setattr(ds, key, stored)
    if detail:
        ds.updated_at = utcnow()
        db_session.flush()
        reindex(db_session=db_session, dataset=ds)
        audit_service.record(
            db_session,
            actor=actor,
            action="datahub.dataset.update",
            object_type="dataset",
            object_id=ds.name,
            detail=detail,
        )
    return ds


def reindex(*, db_session: Session, dataset: Dataset) -> None:
    """Rewrite the dataset's search tokens from its metadata, columns and bound elements."""
    theme = next((t for t in themes.themes() if t.code == dataset.theme), None)
    element_names = db_session.scalars(
        select(DataElement.name)
        .join(ElementBinding, ElementBinding.element_id == DataElement.id)
        .where(ElementBinding.dataset_id == dataset.id)
    ).all()
    dept = db_session.get(Department, dataset.department_id)
    search.write_tokens(
        db_session,
        dataset,
        {
            "title": dataset.title,
            "name": dataset.name,
            "keywords": keywords_of(dataset),
            "description": dataset.description,
            "department": [dept.name_zh, dept.name_en, dept.code] if dept else [],
            "theme": [theme.name_zh, theme.name_en] if theme else [dataset.theme],
            "columns": [c.name for c in dataset_columns(db_session=db_session, dataset=dataset)],
            "elements": list(element_names),
        },
    )


# --- search ------------------------------------------------------------------------------


def search_datasets(
    *,
    db_session: Session,
    viewer: User | None,
    q: str = "",
    department: str | None = None,
    theme: str | None = None,
    sharing_type: str | None = None,
    open_type: str | None = None,
    format: str | None = None,
    sort: str = "relevance",
    offset: int = 0,
    limit: int = 20,
    locale: str = "zh-CN",
    as_staff: bool | None = None,
) -> SearchResults:
    """Full-text search with facets over what ``viewer`` may see (None: the public).

    ``as_staff=True`` searches the whole catalog whoever asks (the CLI acts as the system).
    """
    if sort not in ("relevance", "updated", "title"):
        raise ValidationFailed("sort must be relevance, updated or title.", field="sort")
    if len(q) > 200:
        raise ValidationFailed("The search text is longer than 200 characters.", field="q")
    outcome = search.search(
        db_session,
        q=q,
        filters={
            "department": department,
            "theme": theme,
            "sharing_type": sharing_type,
            "open_type": open_type,
            "format": format.lower() if format else None,
        },
        allowed_open_types=None
        if (access.is_staff(viewer) if as_staff is None else as_staff)
        else access.PUBLIC_OPEN_TYPES,
        sort=sort,
        offset=offset,
        limit=limit,
    )
    ids = [i for i, _ in outcome.ids]
    by_id = (
        {d.id: d for d in db_session.scalars(select(Dataset).where(Dataset.id.in_(ids)))}
        if ids
        else {}
    )
    hits = [
        DatasetHit(
            name=d.name,
            title=d.title,
            description=d.description[:300],
            department_code=d.department.code,
            department_name=d.department.name(locale),
            theme=d.theme,
            sharing_type=SharingType(d.sharing_type),
            open_type=OpenType(d.open_type),
            source_format=d.source_format,
            row_count=d.row_count,
            quality_score=d.quality_score,
            quality_failing_rules=failing_rules(d),
            updated_at=d.updated_at,
            score=score,
        )
        for i, score in outcome.ids
        if (d := by_id.get(i)) is not None
    ]
    return SearchResults(
        q=q,
        total=outcome.total,
        offset=offset,
        limit=limit,
        hits=hits,
        facets=_facet_labels(db_session, outcome.facets, locale),
        took_ms=outcome.took_ms,
    )


def _facet_labels(
    db_session: Session, facets: dict[str, dict[str, int]], locale: str
) -> dict[str, list[FacetCount]]:
    from citybase.datahub.enums import OPEN_LABELS, SHARING_LABELS

    en = locale == "en"
    depts = {
        d.code: d.name(locale)
        for d in identity_service.list_departments(db_session=db_session, active_only=False)
    }
    theme_names = {t.code: t.name(locale) for t in themes.themes()}
    labels: dict[str, dict[str, str]] = {
        "department": depts,
        "theme": theme_names,
        "sharing_type": {k.value: v[1] if en else v[0] for k, v in SHARING_LABELS.items()},
        "open_type": {k.value: v[1] if en else v[0] for k, v in OPEN_LABELS.items()},
        "format": {},
    }
    out: dict[str, list[FacetCount]] = {}
    for facet, counts in facets.items():
        items = [
            FacetCount(
                value=v, label=labels[facet].get(v, v.upper() if facet == "format" else v), count=n
            )
            for v, n in counts.items()
        ]
        out[facet] = sorted(items, key=lambda f: (-f.count, f.value))
    return out
