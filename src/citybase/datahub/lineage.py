"""Lineage: a dataset derived from others records its sources and the transformation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import access
from citybase.datahub.catalog import get_dataset
from citybase.datahub.models import Dataset, LineageLink
from citybase.datahub.schemas import LineageRead
from citybase.db import utcnow
from citybase.errors import ValidationFailed
from citybase.identity.models import User


def record_lineage(
    *, db_session: Session, actor: User | None, name: str, source: str, transformation: str
) -> LineageLink:
    """Record that ``name`` derives from ``source`` (its current version) by ``transformation``."""
    ds = get_dataset(db_session=db_session, name=name, viewer=actor, check=actor is not None)
    access.ensure_can_edit(actor, ds, what="record lineage of")
    src = get_dataset(db_session=db_session, name=source, viewer=actor, check=actor is not None)
    if src.id == ds.id:
        raise ValidationFailed("A dataset cannot be derived from itself.", field="source")
    if _derives_from(db_session, src.id, ds.id):
        raise ValidationFailed(
            f"'{source}' is already derived (directly or not) from '{name}': lineage cannot loop.",
            field="source",
        )
    link = db_session.scalar(
        select(LineageLink).where(LineageLink.dataset_id == ds.id, LineageLink.source_id == src.id)
    )
    if link is None:
        link = LineageLink(dataset_id=ds.id, source_id=src.id)
        db_session.add(link)
    link.transformation = transformation.strip()
    link.source_version = src.current_version
    link.recorded_by_name = actor.username if actor else "system"
    link.recorded_at = utcnow()
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.lineage.record",
        object_type="dataset",
        object_id=ds.name,
        detail={
            "source": src.name,
            "source_version": src.current_version,
            "transformation": link.transformation,
        },
    )
    return link


def _derives_from(db_session: Session, dataset_id: int, ancestor_id: int) -> bool:
    seen: set[int] = set()
    frontier = {dataset_id}
    while frontier:
        if ancestor_id in frontier:
            return True
        seen |= frontier
        frontier = (
            set(
                db_session.scalars(
                    select(LineageLink.source_id).where(LineageLink.dataset_id.in_(frontier))
                )
            )
            - seen
        )
    return False


def lineage(
    *, db_session: Session, dataset: Dataset
) -> tuple[list[LineageRead], list[LineageRead]]:
    """(sources this dataset was derived from, datasets derived from it)."""

    def read(link: LineageLink) -> LineageRead:
        return LineageRead(
            dataset=link.dataset.name,
            source=link.source.name,
            source_title=link.source.title,
            source_version=link.source_version,
            transformation=link.transformation,
            recorded_by=link.recorded_by_name,
            recorded_at=link.recorded_at,
        )

    upstream = db_session.scalars(
        select(LineageLink).where(LineageLink.dataset_id == dataset.id).order_by(LineageLink.id)
    )
    downstream = db_session.scalars(
        select(LineageLink).where(LineageLink.source_id == dataset.id).order_by(LineageLink.id)
    )
    return [read(x) for x in upstream], [read(x) for x in downstream]
