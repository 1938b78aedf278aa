"""Use case: make an earlier version of a dataset current again (rollback).

Versions are immutable, so a rollback writes no data: it points the dataset at an earlier
version's file. Everything a load does to make a version current happens again
(``loading.make_current``): columns, PII classification (the earlier file is scanned
again; the steward's own decisions stay), the quality figure (the dataset's rules run on
that version now — a blocking failure refuses the rollback), the open release re-checked
(the release gate decides whether the dataset may stay open) and the search index.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog, classify
from citybase.datahub import rules as rules_mod
from citybase.datahub import versions as store
from citybase.datahub.events import VersionRestored
from citybase.datahub.loading import make_current
from citybase.datahub.schemas import RollbackReport
from citybase.datahub.score import quality_text
from citybase.db import utcnow
from citybase.errors import Conflict
from citybase.events import publish
from citybase.identity.models import User
from citybase.settings import Settings


def rollback_version(
    *,
    db_session: Session,
    data_dir: Path,
    actor: User | None,
    name: str,
    number: int,
    settings: Settings | None = None,
) -> RollbackReport:
    """Make version ``number`` of dataset ``name`` current again; the caller commits."""
    dataset = catalog.get_dataset(
        db_session=db_session, name=name, viewer=actor, check=actor is not None
    )
    access.ensure_can_edit(actor, dataset, what="roll back")
    version = store.get_version(db_session=db_session, dataset=dataset, number=number)
    previous = dataset.current_version
    if previous == number:
        raise Conflict(
            f"Version {number} of '{dataset.name}' is already current; choose another version.",
            field="version",
        )
    path = store.version_path(data_dir, version)  # 503 naming the file if it is gone
    now = utcnow()
    report, warnings = rules_mod.check_file(
        db_session=db_session,
        data_dir=data_dir,
        dataset=dataset,
        path=path,
        columns=store.columns_of(version),
        loaded_at=version.loaded_at,
    )
    blocking = report.blocking_failures
    if blocking:
        raise store.LoadRejected(
            rules_mod.rejection_message(dataset, blocking).replace(
                "Load refused", f"Rollback to version {number} refused"
            ),
            report=report,
            field=blocking[0].rule.column,
        )
    existing = {
        c.name: c
        for c in catalog.dataset_columns(db_session=db_session, dataset=dataset, present_only=False)
    }
    scan = classify.scan_version(path, policy=classify.grading_policy(settings))
    warnings += make_current(
        db_session=db_session,
        data_dir=data_dir,
        settings=settings,
        dataset=dataset,
        version=version,
        existing=existing,
        scan=scan,
        report=report,
        checked_at=now,
    )
    publish(
        db_session,
        VersionRestored(
            dataset=dataset.name,
            number=number,
            previous=previous,
            rows=version.row_count,
            held_back=bool(dataset.held_back),
            quality_score=report.score,
            audience_departments=[dataset.department_code],
        ),
    )
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.version.rollback",
        object_type="dataset",
        object_id=dataset.name,
        detail={
            "from": previous,
            "to": number,
            "rows": version.row_count,
            "quality_score": report.score,
            "held_back": bool(dataset.held_back),
            "released_version": dataset.released_version,
        },
    )
    return RollbackReport(
        dataset=dataset.name,
        current_version=number,
        previous_version=previous,
        rows=version.row_count,
        quality=report,
        quality_text=quality_text(report.score),
        held_back=bool(dataset.held_back),
        warnings=warnings,
    )
