"""Versioned loads: ingest a file into a new immutable version, profile it, check its quality.

A load never touches the version readers are using. The engine writes the typed Parquet to
a hidden ``.incoming-*`` file (itself atomically); profile and quality run on that file; a
blocking rule failure deletes it and refuses the load. Only then is the version number
taken from the database (the dataset row locked on PostgreSQL; the unique
(dataset, number) constraint guards SQLite), the file renamed to ``v<N>-<random>.parquet``
and the version row written in the caller's transaction. A crash at any point leaves at
most a file without a row, which the catalog never reads.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog
from citybase.datahub import rules as rules_mod
from citybase.datahub.events import VersionLoaded
from citybase.datahub.models import Dataset, DatasetColumn, DatasetVersion
from citybase.datahub.schemas import LoadReport, VersionDetail, VersionRead
from citybase.datahub.types import (
    ColumnProfile,
    ColumnSchema,
    IngestOptions,
    QualityReport,
    SchemaDrift,
)
from citybase.datahub.xlsx import XlsxLimits
from citybase.db import utcnow
from citybase.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from citybase.events import publish
from citybase.identity.models import User
from citybase.settings import Settings

Progress = Callable[..., None]


class LoadRejected(ValidationFailed):
    """A blocking quality rule failed: the load is refused and the previous version stays."""

    code = "load_rejected"

    def __init__(self, message: str, *, report: QualityReport, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.report = report


# --- files and look-ups ------------------------------------------------------------------


def dataset_dir(data_dir: Path, dataset: Dataset) -> Path:
    return data_dir / "datahub" / str(dataset.id)


def version_path(data_dir: Path, version: DatasetVersion) -> Path:
    """The version's Parquet file; a clear 503 if it has gone missing from disk."""
    path = data_dir / version.file_path
    if not path.is_file():
        raise ServiceUnavailable(
            f"The file of version {version.number} is missing ({path}). Restore the data "
            "directory from backup or load the dataset again.",
            field="version",
        )
    return path


def list_versions(*, db_session: Session, dataset: Dataset) -> list[DatasetVersion]:
    return list(
        db_session.scalars(
            select(DatasetVersion)
            .where(DatasetVersion.dataset_id == dataset.id)
            .order_by(DatasetVersion.number.desc())
        )
    )


def get_version(
    *, db_session: Session, dataset: Dataset, number: int | None = None
) -> DatasetVersion:
    """Version ``number`` (default: the current one) of ``dataset``, or a 404 saying why."""
    if number is None:
        if dataset.current_version is None:
            raise NotFound(
                f"Dataset '{dataset.name}' has no data yet: load a file first "
                f"(citybase datahub ingest FILE --dataset {dataset.name}).",
                field="version",
            )
        number = dataset.current_version
    version = db_session.scalar(
        select(DatasetVersion).where(
            DatasetVersion.dataset_id == dataset.id, DatasetVersion.number == number
        )
    )
    if version is None:
        raise NotFound(
            f"Dataset '{dataset.name}' has no version {number} (current: "
            f"{dataset.current_version or 'none'}).",
            field="version",
        )
    return version


def current_version(*, db_session: Session, dataset: Dataset) -> DatasetVersion | None:
    if dataset.current_version is None:
        return None
    return get_version(db_session=db_session, dataset=dataset)


def columns_of(version: DatasetVersion) -> list[ColumnSchema]:
    return [ColumnSchema.model_validate(c) for c in json.loads(version.columns)]


def profile_of(version: DatasetVersion) -> list[ColumnProfile]:
    return [ColumnProfile.model_validate(p) for p in json.loads(version.profile or "[]")]


def quality_of(version: DatasetVersion) -> QualityReport | None:
    raw = json.loads(version.quality or "{}")
    return QualityReport.model_validate(raw) if raw else None


def drift_of(version: DatasetVersion) -> SchemaDrift:
    return SchemaDrift.model_validate(json.loads(version.drift or "{}"))


def to_read(dataset: Dataset, version: DatasetVersion) -> VersionRead:
    return VersionRead(
        number=version.number,
        row_count=version.row_count,
        columns=columns_of(version),
        checksum=version.checksum,
        source_name=version.source_name,
        source_format=version.source_format,
        encoding=version.encoding,
        bytes_read=version.bytes_read,
        seconds=version.seconds,
        loaded_by=version.loaded_by_name,
        loaded_at=version.loaded_at,
        quality_score=version.quality_score,
        drift=drift_of(version),
        current=dataset.current_version == version.number,
    )


def to_detail(
    dataset: Dataset, version: DatasetVersion, *, with_values: bool = True
) -> VersionDetail:
    """Version with profile and quality; ``with_values=False`` hides data values (min/max,
    top values, failing samples) for viewers who may see metadata but not rows."""
    profile = profile_of(version)
    quality = quality_of(version)
    if not with_values:
        profile = [
            p.model_copy(update={"min": None, "max": None, "top_values": []}) for p in profile
        ]
        if quality is not None:
            quality = rules_mod.without_samples(quality)
    return VersionDetail(**to_read(dataset, version).model_dump(), profile=profile, quality=quality)


# --- loading -----------------------------------------------------------------------------


def ensure_room(folder: Path, source_bytes: int) -> None:
    """Refuse a load the disk cannot hold, before writing anything.

    A load needs room for the Parquet version and, for GBK files, a UTF-8 working copy:
    twice the source is a safe bound (Parquet is usually much smaller than the CSV).
    """
    free = shutil.disk_usage(folder).free
    needed = 2 * source_bytes
    if free < needed:
        raise ValidationFailed(
            f"Not enough disk space for this load: it needs about {needed / 2**20:,.0f} MiB "
            f"free in {folder.parent}, and {free / 2**20:,.0f} MiB are free. "
            "Free space (or move CITYBASE_DATA_DIR) and load again; the current version is "
            "unchanged.",
            field="file",
        )


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
) -> LoadReport:
    """Ingest ``source`` as the next version of dataset ``name``; the caller commits.

    Raises ``ValidationFailed`` (row and column where they apply) for unreadable files,
    ``LoadRejected`` (with the quality report) when a blocking rule fails, ``Conflict`` if a
    concurrent load took the same version number. In every case the previous version stays
    current and no version row is written.
    """
    from citybase.datahub import classify
    from citybase.datahub import release as release_mod
    from citybase.datahub.ingest import ingest_file
    from citybase.datahub.profile import profile_parquet, schema_drift

    dataset = catalog.get_dataset(
        db_session=db_session, name=name, viewer=actor, check=actor is not None
    )
    access.ensure_can_edit(actor, dataset, what="load data into")
    if not source.is_file():
        raise ValidationFailed(f"File not found: {source}", field="source")
    folder = dataset_dir(data_dir, dataset)
    folder.mkdir(parents=True, exist_ok=True)
    ensure_room(folder, source.stat().st_size)
    token = secrets.token_hex(6)
    incoming = folder / f".incoming-{token}.parquet"
    try:
        result = ingest_file(
            source,
            dest=incoming,
            options=options or IngestOptions(),
            progress=progress,
            source_name=source_name,
            limits=XlsxLimits.from_settings(settings) if settings else None,
        )
        loaded_at = utcnow()
        existing = {
            c.name: c
            for c in catalog.dataset_columns(
                db_session=db_session, dataset=dataset, present_only=False
            )
        }
        grading = classify.grading_policy(settings)
        scan = classify.scan_version(incoming, policy=grading)
        steward = {n: c.pii_type for n, c in existing.items() if c.pii_source == "steward"}
        masked = frozenset(n for n, t in classify.decide(scan, steward).items() if t)
        profile = profile_parquet(incoming, top_n=5, mask_columns=masked)
        report, warnings = rules_mod.check_file(
            db_session=db_session,
            data_dir=data_dir,
            dataset=dataset,
            path=incoming,
            columns=result.columns,
            loaded_at=loaded_at,
        )
        blocking = report.blocking_failures
        if blocking:
            raise LoadRejected(
                rules_mod.rejection_message(dataset, blocking),
                report=report,
                field=blocking[0].rule.column,
            )
        previous = current_version(db_session=db_session, dataset=dataset)
        drift = schema_drift(columns_of(previous), result.columns) if previous else SchemaDrift()
        number = _next_number(db_session, dataset)
        final = folder / f"v{number}-{token}.parquet"
        os.replace(incoming, final)
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    try:
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
            profile=json.dumps([p.model_dump(mode="json") for p in profile], ensure_ascii=False),
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
        warnings += _sync_columns(db_session, dataset, result.columns, existing)
        classify.apply_scan(db_session=db_session, dataset=dataset, scan=scan, policy=grading)
        dataset.current_version = number
        dataset.row_count = result.row_count
        dataset.source_format = result.source_format
        dataset.last_loaded_at = loaded_at
        dataset.quality_score = report.score
        dataset.quality_report = report.model_dump_json()
        dataset.quality_checked_at = loaded_at
        dataset.updated_at = loaded_at
        db_session.flush()
        held = release_mod.recheck_after_load(
            db_session=db_session, data_dir=data_dir, settings=settings, dataset=dataset
        )
        if held:
            warnings.append(held)
        catalog.reindex(db_session=db_session, dataset=dataset)
        _publish_loaded(db_session, dataset, number, result.row_count, report.score)
        audit_service.record(
            db_session,
            actor=actor,
            action="datahub.version.load",
            object_type="dataset",
            object_id=dataset.name,
            detail={
                "version": number,
                "rows": result.row_count,
                "checksum": result.checksum,
                "source": version.source_name,
                "format": result.source_format,
                "quality_score": report.score,
                "drift": drift.model_dump(mode="json") if drift.any else None,
            },
        )
    except BaseException:
        # Nothing is committed yet: the caller's transaction rolls back, so the renamed
        # file would be an orphan. Remove it now rather than leave it behind.
        final.unlink(missing_ok=True)
        raise
    return LoadReport(
        dataset=dataset.name,
        version=to_detail(dataset, version),
        previous_version=previous.number if previous else None,
        warnings=warnings,
    )


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


def _next_number(db_session: Session, dataset: Dataset) -> int:
    # FOR UPDATE serialises concurrent loads of one dataset on PostgreSQL (SQLite ignores
    # it; its single writer and the unique constraint do the same job).
    db_session.execute(select(Dataset.id).where(Dataset.id == dataset.id).with_for_update())
    top = db_session.scalar(
        select(func.max(DatasetVersion.number)).where(DatasetVersion.dataset_id == dataset.id)
    )
    return int(top or 0) + 1


def _sync_columns(
    db_session: Session,
    dataset: Dataset,
    columns: list[ColumnSchema],
    existing: dict[str, DatasetColumn],
) -> list[str]:
    """Keep one row per column name; columns a new version lacks stay, marked not present."""
    warnings: list[str] = []
    names = {c.name for c in columns}
    for pos, col in enumerate(columns):
        row = existing.get(col.name)
        if row is None:
            db_session.add(
                DatasetColumn(
                    dataset_id=dataset.id, name=col.name, type=col.type, position=pos, present=True
                )
            )
        else:
            row.type, row.position, row.present = col.type, pos, True
    from citybase.datahub.elements import bindings_of_dataset

    bound = {b.column: b for b in bindings_of_dataset(db_session=db_session, dataset=dataset)}
    for name, row in existing.items():
        if name not in names:
            row.present = False
            if name in bound:
                b = bound[name]
                warnings.append(
                    f"Column '{name}' is gone but is bound to data element {b.element.name} "
                    f"as {b.role}: fix the file or rebind the element."
                )
    db_session.flush()
    return warnings


def run_quality(
    *, db_session: Session, data_dir: Path, actor: User | None, name: str
) -> QualityReport:
    """Check the current version against the declared rules now (freshness uses today)."""
    dataset = catalog.get_dataset(
        db_session=db_session, name=name, viewer=actor, check=actor is not None
    )
    access.ensure_can_edit(actor, dataset, what="run quality checks on")
    version = get_version(db_session=db_session, dataset=dataset)
    report, _ = rules_mod.check_file(
        db_session=db_session,
        data_dir=data_dir,
        dataset=dataset,
        path=version_path(data_dir, version),
        columns=columns_of(version),
        loaded_at=version.loaded_at,
    )
    now = utcnow()
    dataset.quality_score = report.score
    dataset.quality_report = report.model_dump_json()
    dataset.quality_checked_at = now
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.quality.run",
        object_type="dataset",
        object_id=dataset.name,
        detail={
            "version": version.number,
            "score": report.score,
            "failed_rules": [r.rule.name for r in report.results if r.failed],
        },
    )
    return report


def latest_quality(dataset: Dataset) -> tuple[QualityReport | None, dt.datetime | None]:
    if not dataset.quality_report:
        return None, None
    return QualityReport.model_validate_json(dataset.quality_report), dataset.quality_checked_at
