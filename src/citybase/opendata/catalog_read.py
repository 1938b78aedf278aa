"""Reading the data hub catalog for the open API: who sees which datasets, as views.

Read-only: datasets, versions and columns are read through the catalog's models and service
in a fixed, small number of queries however many datasets there are. Identifiers are stable
UUIDs (what CKAN clients and harvesters expect), derived from the catalog's own keys so
nothing new is stored: a dataset's from its row id and creation time, a resource's from its
dataset's and the version number.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from citybase.datahub import service as datahub_service
from citybase.datahub.classify import PERSONAL_TYPES
from citybase.datahub.enums import OpenType
from citybase.datahub.models import Dataset, DatasetColumn, DatasetVersion, Release
from citybase.datahub.themes import Licence, Theme
from citybase.identity.models import Department, User
from citybase.opendata.views import (
    DatasetView,
    LicenceView,
    OrgView,
    ResourceView,
    ThemeView,
)
from citybase.settings import Settings

NAMESPACE = uuid.UUID("5b0c2f4e-8d1a-5c9e-9a63-0c1b7d2e4f10")  # citybase open data


def dataset_uuid(dataset: Dataset) -> str:
    return str(uuid.uuid5(NAMESPACE, f"dataset:{dataset.id}:{dataset.created_at.isoformat()}"))


def resource_uuid(package_id: str, version: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"resource:{package_id}:{version}"))


def org_uuid(dept: Department) -> str:
    return str(uuid.uuid5(NAMESPACE, f"organization:{dept.code}"))


def org_name(code: str) -> str:
    """CKAN names are lowercase slugs; department codes are upper-case (e.g. GAJ → gaj)."""
    return code.lower()


def visible(viewer: User | None, dataset: Dataset) -> bool:
    """Anonymous callers see datasets open to everyone; signed-in ones what the catalog allows."""
    if viewer is None:
        return dataset.public_open_type == OpenType.unconditional.value
    return datahub_service.sees_metadata(viewer, dataset)


def visible_datasets(*, db_session: Session, viewer: User | None) -> list[Dataset]:
    stmt = select(Dataset).order_by(Dataset.name)
    if viewer is None:
        stmt = stmt.where(
            Dataset.open_type == OpenType.unconditional.value, Dataset.held_back.is_(False)
        )
    return [d for d in db_session.scalars(stmt) if visible(viewer, d)]


def site_titles(settings: Settings) -> tuple[str, str]:
    return "citybase 开放数据目录", "citybase open data catalogue"


def landing_url(base_url: str, name: str) -> str:
    """The dataset's public address (see ``dcat.dataset_page``)."""
    return f"{base_url}/dataset/{name}"


def download_url(base_url: str, name: str, version: int) -> str:
    return f"{base_url}/api/datahub/datasets/{name}/download?format=csv&version={version}"


def org_view(dept: Department) -> OrgView:
    return OrgView(
        id=org_uuid(dept),
        name=org_name(dept.code),
        code=dept.code,
        title_zh=dept.name_zh,
        title_en=dept.name_en,
        created=dept.created_at,
    )


def theme_view(theme: Theme) -> ThemeView:
    return ThemeView(code=theme.code, name_zh=theme.name_zh, name_en=theme.name_en, dcat=theme.dcat)


def licence_view(lic: Licence) -> LicenceView:
    return LicenceView(
        id=lic.id, title_zh=lic.title_zh, title_en=lic.title_en, url=lic.url, open=lic.open
    )


@dataclass(frozen=True)
class Vocabularies:
    themes: dict[str, ThemeView]
    licences: dict[str, LicenceView]

    @classmethod
    def load(cls, settings: Settings) -> Vocabularies:
        return cls(
            themes={t.code: theme_view(t) for t in datahub_service.themes(settings)},
            licences={x.id: licence_view(x) for x in datahub_service.licences(settings)},
        )


def _current_versions(db_session: Session, ids: Sequence[int]) -> dict[int, DatasetVersion]:
    if not ids:
        return {}
    out: dict[int, DatasetVersion] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        stmt = (
            select(DatasetVersion)
            .join(
                Dataset,
                and_(
                    Dataset.id == DatasetVersion.dataset_id,
                    Dataset.current_version == DatasetVersion.number,
                ),
            )
            .where(Dataset.id.in_(chunk))
        )
        out.update({v.dataset_id: v for v in db_session.scalars(stmt)})
    return out


def released_sources(
    db_session: Session, datasets: Sequence[Dataset]
) -> dict[int, tuple[str | None, str | None]]:
    """Source name and policy fingerprint of each dataset's passing release, if any."""
    out: dict[int, tuple[str | None, str | None]] = {}
    for ds in datasets:
        if ds.released_version is None:
            continue
        rec = db_session.scalar(
            select(Release)
            .where(Release.dataset_id == ds.id, Release.passed.is_(True))
            .order_by(Release.id.desc())
            .limit(1)
        )
        if rec is not None:
            out[ds.id] = (rec.source.name if rec.source else None, rec.policy_fingerprint or None)
    return out


def personal_dataset_ids(db_session: Session, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` have a present column classified as personal data (``pii_type``)."""
    if not ids:
        return set()
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        out.update(
            db_session.scalars(
                select(DatasetColumn.dataset_id)
                .where(
                    DatasetColumn.dataset_id.in_(chunk),
                    DatasetColumn.present.is_(True),
                    DatasetColumn.pii_type.in_(PERSONAL_TYPES),
                )
                .distinct()
            )
        )
    return out


def resource_view(
    *, base_url: str, data_dir: Path, dataset: Dataset, package_id: str, version: DatasetVersion
) -> ResourceView:
    path = data_dir / version.file_path
    try:
        size: int | None = path.stat().st_size
    except OSError:
        size = None
    return ResourceView(
        id=resource_uuid(package_id, version.number),
        package_id=package_id,
        name=f"{dataset.title}（第 {version.number} 版）",
        description=f"{version.row_count} 行 · 来源 {version.source_name}".strip(),
        format="CSV",
        download_url=download_url(base_url, dataset.name, version.number),
        created=version.loaded_at,
        last_modified=version.loaded_at,
        size=size,
        row_count=version.row_count,
        checksum=version.checksum,
        version=version.number,
        is_current=dataset.current_version == version.number,
    )


def dataset_views(
    *,
    db_session: Session,
    datasets: Iterable[Dataset],
    base_url: str,
    settings: Settings,
) -> list[DatasetView]:
    """Views of ``datasets`` with their current version as the one resource."""
    items = list(datasets)
    ids = [d.id for d in items]
    current = _current_versions(db_session, ids)
    personal = personal_dataset_ids(db_session, ids)
    released = released_sources(db_session, items)
    vocab = Vocabularies.load(settings)
    out: list[DatasetView] = []
    for ds in items:
        package_id = dataset_uuid(ds)
        ver = current.get(ds.id)
        resources: tuple[ResourceView, ...] = ()
        if ver is not None:
            resources = (
                resource_view(
                    base_url=base_url,
                    data_dir=settings.data_dir,
                    dataset=ds,
                    package_id=package_id,
                    version=ver,
                ),
            )
        out.append(
            DatasetView(
                id=package_id,
                name=ds.name,
                title=ds.title,
                description=ds.description,
                org=org_view(ds.department),
                theme=vocab.themes.get(ds.theme)
                or ThemeView(code=ds.theme, name_zh=ds.theme, name_en=ds.theme, dcat=None),
                keywords=tuple(datahub_service.keywords_of(ds)),
                frequency=ds.update_frequency,
                temporal_start=ds.temporal_start,
                temporal_end=ds.temporal_end,
                spatial=ds.spatial or None,
                licence=vocab.licences.get(ds.licence),
                sharing_type=ds.sharing_type,
                open_type=ds.public_open_type,
                created=ds.created_at,
                modified=ds.updated_at,
                landing_url=landing_url(base_url, ds.name),
                personal_data=ds.id in personal,
                contact_name=ds.contact_name,
                contact_email=ds.contact_email,
                resources=resources,
                derived_from=released.get(ds.id, (None, None))[0],
                deid_policy=released.get(ds.id, (None, None))[1],
            )
        )
    return out


def open_dataset_views(
    *, db_session: Session, base_url: str, settings: Settings
) -> list[DatasetView]:
    """Every dataset open to everyone (无条件开放), for the DCAT export."""
    return dataset_views(
        db_session=db_session,
        datasets=visible_datasets(db_session=db_session, viewer=None),
        base_url=base_url,
        settings=settings,
    )
