"""Classification and grading (分类分级) of a dataset's columns, on every load and by stewards.

Every load scans the new version for personal information (``privacy.detect_columns``) and
writes each column's PII type, confidence, hit ratio, grade and sensitivity onto the
catalog's column rows; the dataset's grade is the highest of its columns' grades and of the
steward's designation (就高从严, GB/T 43697-2024). Two things a scan never does:
- overwrite a steward's decision on a column (``pii_source == 'steward'``): a steward who
  said "this 18-digit column is an order number, not an ID" is not contradicted by the next
  load;
- grade a dataset core (核心) or important (重要): only a steward designates those, with a
  written reason, and every designation and override is audited.

Large versions are scanned on a reproducible sample (``SCAN_SAMPLE`` rows): detection
decides a column's type from the share of values that validate, which a 200,000-row sample
estimates to well under a percentage point, so a 1M-row load does not pay for a full scan.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog
from citybase.datahub.models import Dataset, DatasetColumn
from citybase.datahub.opengate import (
    CONTEXT_TYPES,
    SUBJECT_TYPES,
    refresh_held_back,
)
from citybase.datahub.opengate import PERSONAL_TYPES as PERSONAL_TYPES  # opendata reads it here
from citybase.datahub.opengate import personal_columns as personal_columns
from citybase.db import utcnow
from citybase.errors import ValidationFailed
from citybase.privacy.detect_columns import ColumnResult, ScanResult, scan_table
from citybase.privacy.policy import (
    PII_TYPES,
    Grade,
    GradingPolicy,
    PiiType,
    dataset_grade,
    load_policy,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from citybase.identity.models import User
    from citybase.settings import Settings

SCAN_SAMPLE = 200_000
REASON_MIN = 4
# A detection below this confidence is shown to the steward as a hint but not acted on
# (no masking, no grade): e.g. half of a two-value "站点名称" column looking like names.
ACCEPT_CONFIDENCE = 0.5


def accepted(result: ColumnResult) -> PiiType | None:
    """The detected type if confident enough to act on, else None."""
    if result.pii_type is not None and result.confidence >= ACCEPT_CONFIDENCE:
        return result.pii_type
    return None


def grading_policy(settings: Settings | None) -> GradingPolicy:
    """The city's grading policy (``CITYBASE_GRADING_POLICY``) or the shipped default."""
    return load_policy(settings.grading_policy if settings is not None else None)


def scan_version(path: Path, *, policy: GradingPolicy) -> ScanResult:
    """Detect PII in a loaded Parquet version (sampled above ``SCAN_SAMPLE`` rows)."""
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(path).metadata.num_rows
    return scan_table(path, sample=SCAN_SAMPLE if rows > SCAN_SAMPLE else None, policy=policy)


def decide(scan: ScanResult, steward: dict[str, str | None]) -> dict[str, PiiType | None]:
    """The PII type acted on per column: the steward's where given, else a confident
    detection — except places' addresses/coordinates in a dataset with no person in it."""
    found: dict[str, str | None] = {r.name: accepted(r) for r in scan.columns}
    found.update({n: t for n, t in steward.items() if n in found})
    subjects = any(t in SUBJECT_TYPES for t in found.values())
    return {
        n: (None if (t in CONTEXT_TYPES and not subjects) else t)  # type: ignore[misc]
        for n, t in found.items()
    }


def apply_scan(
    *,
    db_session: Session,
    dataset: Dataset,
    scan: ScanResult,
    policy: GradingPolicy,
) -> list[str]:
    """Store a scan on the dataset's column rows (flushing); returns the personal columns."""
    rows = {
        c.name: c
        for c in db_session.scalars(
            select(DatasetColumn).where(DatasetColumn.dataset_id == dataset.id)
        )
    }
    personal: list[str] = []
    steward = {n: r.pii_type for n, r in rows.items() if r.pii_source == "steward"}
    acted = decide(scan, steward)
    for result in scan.columns:
        row = rows.get(result.name)
        if row is None:
            continue
        row.detected_type = accepted(result)
        if row.pii_source == "steward":
            if row.pii_type:
                personal.append(row.name)
            continue
        typed = acted.get(result.name)
        row.pii_type = typed
        row.grade = str(policy.grade_for(typed))
        row.sensitive = policy.is_sensitive(typed)
        row.pii_confidence = round(result.confidence, 4) if result.pii_type else None
        row.pii_hit_ratio = round(result.hit_ratio, 4) if result.pii_type else None
        row.pii_source = "detected" if typed else None
        if typed:
            personal.append(row.name)
    db_session.flush()
    regrade(db_session=db_session, dataset=dataset, policy=policy)
    return personal


def _recontext(db_session: Session, dataset: Dataset, policy: GradingPolicy) -> None:
    """After a steward's change, re-apply the places rule to detected context columns: an
    address is personal only while a column identifying a person remains."""
    rows = list(
        db_session.scalars(select(DatasetColumn).where(DatasetColumn.dataset_id == dataset.id))
    )
    subjects = any(r.pii_type in SUBJECT_TYPES for r in rows if r.present)
    for r in rows:
        if r.pii_source == "steward" or r.detected_type not in CONTEXT_TYPES:
            continue
        typed = r.detected_type if subjects else None
        r.pii_type = typed
        r.grade = str(policy.grade_for(typed))  # type: ignore[arg-type]
        r.sensitive = policy.is_sensitive(typed)  # type: ignore[arg-type]
        r.pii_source = "detected" if typed else None
    db_session.flush()


def regrade(*, db_session: Session, dataset: Dataset, policy: GradingPolicy) -> Grade:
    """Recompute the dataset's effective grade from its present columns and the steward."""
    grades = []
    for col in db_session.scalars(
        select(DatasetColumn).where(
            DatasetColumn.dataset_id == dataset.id, DatasetColumn.present.is_(True)
        )
    ):
        if col.grade:
            grades.append(Grade.parse(col.grade))
        elif col.pii_type is None:
            grades.append(policy.no_pii)
    steward = Grade.parse(dataset.steward_grade) if dataset.steward_grade else None
    grade = dataset_grade(grades, steward_grade=steward)
    dataset.grade = str(grade)
    db_session.flush()
    return grade


def _reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if len(cleaned) < REASON_MIN:
        raise ValidationFailed(
            "reason: write why (at least a few words); overrides and designations are "
            "audited and shown to other stewards",
            field="reason",
        )
    return cleaned[:1000]


def override_column(
    *,
    db_session: Session,
    actor: User | None,
    dataset: Dataset,
    column: str,
    pii_type: str | None,
    reason: str,
    policy: GradingPolicy,
) -> DatasetColumn:
    """A steward sets (or clears, with ``pii_type=None``) a column's PII type, with a reason.

    ``pii_type='auto'`` hands the column back to detection at the next load.
    """
    access.ensure_can_edit(actor, dataset, what="classify columns of")
    why = _reason(reason)
    row = db_session.scalar(
        select(DatasetColumn).where(
            DatasetColumn.dataset_id == dataset.id, DatasetColumn.name == column
        )
    )
    if row is None:
        raise ValidationFailed(
            f"column: '{column}' is not a column of {dataset.name}", field="column"
        )
    before = {"pii_type": row.pii_type, "grade": row.grade, "source": row.pii_source}
    if pii_type == "auto":
        row.pii_source = "detected" if row.pii_type else None
    else:
        if pii_type is not None and pii_type not in PII_TYPES:
            raise ValidationFailed(
                f"pii_type: unknown type {pii_type!r}; use one of {', '.join(PII_TYPES)}, "
                "none or auto",
                field="pii_type",
            )
        typed = pii_type if pii_type in PII_TYPES else None
        row.pii_type = typed
        row.grade = str(policy.grade_for(typed))  # type: ignore[arg-type]
        row.sensitive = policy.is_sensitive(typed)  # type: ignore[arg-type]
        row.pii_source = "steward"
        row.pii_confidence = 1.0
    row.override_reason = why
    db_session.flush()
    _recontext(db_session, dataset, policy)
    regrade(db_session=db_session, dataset=dataset, policy=policy)
    refresh_held_back(db_session=db_session, dataset=dataset)
    catalog.reindex(db_session=db_session, dataset=dataset)
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.column.classify",
        object_type="dataset",
        object_id=dataset.name,
        detail={
            "column": column,
            "before": before,
            "after": {"pii_type": row.pii_type, "grade": row.grade, "source": row.pii_source},
            "reason": why,
        },
    )
    return row


def designate_grade(
    *,
    db_session: Session,
    actor: User | None,
    dataset: Dataset,
    grade: str | None,
    reason: str,
    policy: GradingPolicy,
) -> Grade:
    """A steward designates the dataset's grade (core, important, general-N) or clears it.

    The effective grade stays the highest of this designation and the columns' grades:
    designating general-1 does not lower a dataset holding ID numbers.
    """
    access.ensure_can_edit(actor, dataset, what="grade")
    why = _reason(reason)
    parsed = Grade.parse(grade) if grade else None
    before = {"steward_grade": dataset.steward_grade, "grade": dataset.grade}
    dataset.steward_grade = str(parsed) if parsed else None
    dataset.grade_reason = why
    dataset.graded_by_name = actor.username if actor else "system"
    dataset.graded_at = utcnow()
    effective = regrade(db_session=db_session, dataset=dataset, policy=policy)
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.dataset.grade",
        object_type="dataset",
        object_id=dataset.name,
        detail={
            "before": before,
            "steward_grade": dataset.steward_grade,
            "grade": str(effective),
            "reason": why,
        },
    )
    return effective
