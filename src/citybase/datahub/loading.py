"""Use case: load a file as the next version of a dataset, in named steps.

A load never touches the version readers are using. The engine writes the typed Parquet to
a hidden ``.incoming-*`` file (itself atomically); the guards (type loss, shrink), the PII
scan, the profile and the quality rules run on that file; any refusal deletes it and
writes nothing. Only then is the version number taken from the database (the dataset row
locked on PostgreSQL; the unique (dataset, number) constraint guards SQLite), the file
renamed to ``v<N>-<random>.parquet`` and the version row written in the caller's
transaction. A crash at any point leaves at most a file without a row, which the catalog
never reads.

Steps: ``_stage`` → ``_guard`` → ``_inspect`` (scan, profile, quality) → ``_take_number``
→ ``_write_row`` → ``make_current`` (columns, classification, quality figure, release
re-check, search index) → ``_audit_load``.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog, classify, guards, release
from citybase.datahub import rules as rules_mod
from citybase.datahub import versions as store
from citybase.datahub.events import VersionLoaded
from citybase.datahub.ingest import ingest_file
from citybase.datahub.models import Dataset, DatasetColumn, DatasetVersion
from citybase.datahub.profile import profile_parquet, schema_drift
from citybase.datahub.schemas import LoadReport
from citybase.datahub.types import (
    ColumnProfile,
    ColumnSchema,
    IngestOptions,
    IngestResult,
    LoadConsent,
    QualityReport,
    SchemaDrift,
)
from citybase.datahub.xlsx import XlsxLimits
from citybase.db import utcnow
from citybase.errors import Conflict, ValidationFailed
from citybase.events import publish
from citybase.identity.models import User
from citybase.privacy.detect_columns import ScanResult
from citybase.settings import Settings, get_settings

Progress = Callable[..., None]


@dataclass
class _Staged:
    """What the steps learn about the new version before anything is written."""

    result: IngestResult
    previous: DatasetVersion | None
    existing: dict[str, DatasetColumn]
    accepted_losses: list[guards.TypeLoss] = field(default_factory=list)
    confirmed_shrink: guards.Shrink | None = None
    scan: ScanResult | None = None
    profile: list[ColumnProfile] = field(default_factory=list)
    report: QualityReport | None = None
    warnings: list[str] = field(default_factory=list)


def load_version(
    *,
    db_session: Session,
    data_dir: Path,
    actor: User | None,
    name: str,
    source: Path,
    source_name: str | None = None,
    options: IngestOptions | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    consent: LoadConsent | None = None,
) -> LoadReport:
    """Ingest ``source`` as the next version of dataset ``name``; the caller commits.

    Raises ``ValidationFailed`` (row and column where they apply) for unreadable files,
    ``guards.SchemaChangeRefused`` when a column would lose its type and
    ``guards.ShrinkRefused`` when the file is much smaller than the current version (unless
    ``consent`` accepts them), ``LoadRejected`` (with the quality report) when a blocking
    rule fails, ``Conflict`` if a concurrent load took the same version number. In every
    case the previous version stays current and nothing is written.
    """
    dataset = catalog.get_dataset(
        db_session=db_session, name=name, viewer=actor, check=actor is not None
    )
    access.ensure_can_edit(actor, dataset, what="load data into")
    if not source.is_file():
        raise ValidationFailed(f"File not found: {source}", field="source")
    folder = store.dataset_dir(data_dir, dataset)
    folder.mkdir(parents=True, exist_ok=True)
    store.ensure_room(folder, source.stat().st_size)
    token = secrets.token_hex(6)
    incoming = folder / f".incoming-{token}.parquet"
    loaded_at = utcnow()
    try:
        staged = _stage(
            db_session, dataset, source, incoming, source_name, options, progress, settings
        )
        _guard(staged, incoming, dataset, consent or LoadConsent(), settings)
        _inspect(db_session, data_dir, dataset, staged, incoming, loaded_at, settings)
        number = _take_number(db_session, dataset)
        final = folder / f"v{number}-{token}.parquet"
        os.replace(incoming, final)
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    try:
        version, drift = _write_row(
            db_session,
            data_dir,
            dataset,
            staged,
            final,
            number,
            actor,
            source,
            source_name,
            loaded_at,
        )
        assert staged.report is not None and staged.scan is not None
        staged.warnings += make_current(
            db_session=db_session,
            data_dir=data_dir,
            settings=settings,
            dataset=dataset,
            version=version,
            existing=staged.existing,
            scan=staged.scan,
            report=staged.report,
            checked_at=loaded_at,
        )
        _publish_loaded(db_session, dataset, number, version.row_count, staged.report.score)
        _audit_load(db_session, actor, dataset, version, staged, drift)
    except BaseException:
        # Nothing is committed yet: the caller's transaction rolls back, so the renamed
        # file would be an orphan. Remove it now rather than leave it behind.
        final.unlink(missing_ok=True)
        raise
    return LoadReport(
        dataset=dataset.name,
        version=store.to_detail(dataset, version),
        previous_version=staged.previous.number if staged.previous else None,
        warnings=staged.warnings,
    )


# --- the steps -----------------------------------------------------------------------------


def _stage(
    db_session: Session,
    dataset: Dataset,
    source: Path,
    incoming: Path,
    source_name: str | None,
    options: IngestOptions | None,
    progress: Progress | None,
    settings: Settings | None,
) -> _Staged:
    """Read the file into the hidden ``incoming`` Parquet file."""
    result = ingest_file(
        source,
        dest=incoming,
        options=options or IngestOptions(),
        progress=progress,
        source_name=source_name,
        limits=XlsxLimits.from_settings(settings) if settings else None,
    )
    existing = {
        c.name: c
        for c in catalog.dataset_columns(db_session=db_session, dataset=dataset, present_only=False)
    }
    previous = store.current_version(db_session=db_session, dataset=dataset)
    return _Staged(result=result, previous=previous, existing=existing)


def _guard(
    staged: _Staged,
    incoming: Path,
    dataset: Dataset,
    consent: LoadConsent,
    settings: Settings | None,
) -> None:
    """Refuse a version that changes the dataset's meaning without the steward's consent."""
    previous = staged.previous
    if previous is None:
        return
    losses = guards.find_type_losses(
        incoming, store.columns_of(previous), staged.result.columns, staged.result.lines
    )
    if losses and not consent.accept_schema:
        raise guards.SchemaChangeRefused(
            guards.refusal_message(losses, previous.number), losses=losses
        )
    staged.accepted_losses = losses
    share = (settings or get_settings()).load_shrink_confirm_share
    shrink = guards.shrink_of(previous.row_count, staged.result.row_count, share)
    if shrink is not None and not consent.confirm_shrink:
        raise guards.ShrinkRefused(guards.shrink_message(shrink, previous.number), shrink=shrink)
    staged.confirmed_shrink = shrink


def _inspect(
    db_session: Session,
    data_dir: Path,
    dataset: Dataset,
    staged: _Staged,
    incoming: Path,
    loaded_at: object,
    settings: Settings | None,
) -> None:
    """PII scan, profile (personal columns masked) and quality; a blocking failure refuses."""
    grading = classify.grading_policy(settings)
    staged.scan = classify.scan_version(incoming, policy=grading)
    steward = {n: c.pii_type for n, c in staged.existing.items() if c.pii_source == "steward"}
    masked = frozenset(n for n, t in classify.decide(staged.scan, steward).items() if t)
    staged.profile = profile_parquet(incoming, top_n=5, mask_columns=masked)
    report, warnings = rules_mod.check_file(
        db_session=db_session,
        data_dir=data_dir,
        dataset=dataset,
        path=incoming,
        columns=staged.result.columns,
        loaded_at=loaded_at,  # type: ignore[arg-type]
    )
    blocking = report.blocking_failures
    if blocking:
        raise store.LoadRejected(
            rules_mod.rejection_message(dataset, blocking),
            report=report,
            field=blocking[0].rule.column,
        )
    staged.report = report
    staged.warnings += warnings


def _take_number(db_session: Session, dataset: Dataset) -> int:
    return store.next_number(db_session, dataset)


def _write_row(
    db_session: Session,
    data_dir: Path,
    dataset: Dataset,
    staged: _Staged,
    final: Path,
    number: int,
    actor: User | None,
    source: Path,
    source_name: str | None,
    loaded_at: object,
) -> tuple[DatasetVersion, SchemaDrift]:
    result, report = staged.result, staged.report
    assert report is not None
    previous = staged.previous
    drift = schema_drift(store.columns_of(previous), result.columns) if previous else SchemaDrift()
    version = DatasetVersion(
        dataset_id=dataset.id,
        number=number,
        file_path=final.relative_to(data_dir).as_posix(),
        row_count=result.row_count,
        columns=json.dumps([c.model_dump() for c in result.columns], ensure_ascii=False),
        checksum=result.checksum,
        source_name=(source_name or source.name)[:300],
        source_format=result.source_format,
        encoding=result.encoding,
        bytes_read=result.bytes_read,
        seconds=round(result.seconds, 3),
        loaded_by_name=actor.username if actor else "system",
        loaded_at=loaded_at,
        profile=json.dumps([p.model_dump(mode="json") for p in staged.profile], ensure_ascii=False),
        quality=report.model_dump_json(),
        quality_score=report.score,
        drift=drift.model_dump_json(),
    )
    db_session.add(version)
    try:
        db_session.flush()
    except IntegrityError:
        raise Conflict(
            f"Another load of '{dataset.name}' finished first and took version {number}; "
            "load again to make a new version.",
            field="version",
        ) from None
    return version, drift


def make_current(
    *,
    db_session: Session,
    data_dir: Path,
    settings: Settings | None,
    dataset: Dataset,
    version: DatasetVersion,
    existing: dict[str, DatasetColumn],
    scan: ScanResult,
    report: QualityReport,
    checked_at: object,
) -> list[str]:
    """Make ``version`` the one readers see: columns, classification, the quality figure,
    the open release re-checked (held back if it no longer passes), the search index.
    Shared by loads and rollbacks; returns warnings for the steward."""
    columns: list[ColumnSchema] = store.columns_of(version)
    warnings = store.sync_columns(db_session, dataset, columns, existing)
    classify.apply_scan(
        db_session=db_session, dataset=dataset, scan=scan, policy=classify.grading_policy(settings)
    )
    dataset.current_version = version.number
    dataset.row_count = version.row_count
    dataset.source_format = version.source_format
    dataset.last_loaded_at = version.loaded_at
    dataset.quality_score = report.score
    dataset.quality_report = report.model_dump_json()
    dataset.quality_checked_at = checked_at  # type: ignore[assignment]
    dataset.updated_at = checked_at  # type: ignore[assignment]
    db_session.flush()
    held = release.recheck_after_load(
        db_session=db_session, data_dir=data_dir, settings=settings, dataset=dataset
    )
    if held:
        warnings.append(held)
    catalog.reindex(db_session=db_session, dataset=dataset)
    return warnings


def _publish_loaded(
    db_session: Session, dataset: Dataset, number: int, rows: int, score: float | None
) -> None:
    publish(
        db_session,
        VersionLoaded(
            dataset=dataset.name,
            number=number,
            rows=rows,
            held_back=bool(dataset.held_back),
            quality_score=score,
            audience_departments=[dataset.department_code],
        ),
    )


def _audit_load(
    db_session: Session,
    actor: User | None,
    dataset: Dataset,
    version: DatasetVersion,
    staged: _Staged,
    drift: SchemaDrift,
) -> None:
    """The load, and separately what the steward accepted (so a reviewer finds it)."""
    assert staged.report is not None
    result = staged.result
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.version.load",
        object_type="dataset",
        object_id=dataset.name,
        detail={
            "version": version.number,
            "rows": result.row_count,
            "checksum": result.checksum,
            "source": version.source_name,
            "format": result.source_format,
            "quality_score": staged.report.score,
            "drift": drift.model_dump(mode="json") if drift.any else None,
        },
    )
    if staged.accepted_losses:
        audit_service.record(
            db_session,
            actor=actor,
            action="datahub.version.accept_schema",
            object_type="dataset",
            object_id=dataset.name,
            detail={
                "version": version.number,
                "columns": [
                    {
                        "column": loss.column,
                        "from": loss.old_type,
                        "to": loss.new_type,
                        "values_not_fitting": loss.count,
                    }
                    for loss in staged.accepted_losses
                ],
            },
        )
    if staged.confirmed_shrink is not None:
        audit_service.record(
            db_session,
            actor=actor,
            action="datahub.version.confirm_shrink",
            object_type="dataset",
            object_id=dataset.name,
            detail={
                "version": version.number,
                "previous_rows": staged.confirmed_shrink.previous_rows,
                "rows": staged.confirmed_shrink.rows,
                "share": staged.confirmed_shrink.share,
            },
        )
