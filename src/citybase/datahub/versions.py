"""The version store: a dataset's immutable versions, their files, and reading them back.

Loading a file as a new version is the use case in ``loading``; making an earlier version
current again is ``rollback``. This module only stores and reads.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog
from citybase.datahub import rules as rules_mod
from citybase.datahub.elements import bindings_of_dataset
from citybase.datahub.models import Dataset, DatasetColumn, DatasetVersion
from citybase.datahub.schemas import VersionDetail, VersionRead
from citybase.datahub.types import (
    ColumnProfile,
    ColumnSchema,
    QualityReport,
    SchemaDrift,
)
from citybase.db import utcnow
from citybase.errors import NotFound, ServiceUnavailable, ValidationFailed
from citybase.identity.models import User

Progress = Callable[..., None]


class LoadRejected(ValidationFailed):
    """A blocking quality rule failed: the load is refused and the previous version stays."""

    code = "load_rejected"

    def __init__(self, message: str, *, report: QualityReport, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.report = report

    def as_dict(self) -> dict[str, object]:
        body = super().as_dict()
        body["report"] = self.report.model_dump(mode="json")
        return body


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


def next_number(db_session: Session, dataset: Dataset) -> int:
    # FOR UPDATE serialises concurrent loads of one dataset on PostgreSQL (SQLite ignores
    # it; its single writer and the unique constraint do the same job).
    db_session.execute(select(Dataset.id).where(Dataset.id == dataset.id).with_for_update())
    top = db_session.scalar(
        select(func.max(DatasetVersion.number)).where(DatasetVersion.dataset_id == dataset.id)
    )
    return int(top or 0) + 1


def sync_columns(
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
