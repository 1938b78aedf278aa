"""What the open catalog shows about a dataset, read once from the data hub's catalog.

The CKAN actions and the DCAT export render the same facts in two vocabularies; these frozen
records hold those facts so each renderer stays a pure function of them (and the catalog's
ORM objects never leak into JSON or RDF code).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrgView:
    """A department as a CKAN organization / DCAT publisher."""

    id: str
    name: str  # the department code, lower-case: CKAN names are slugs
    code: str
    title_zh: str
    title_en: str
    created: dt.datetime | None


@dataclass(frozen=True)
class ThemeView:
    """A catalogue theme as a CKAN group / DCAT theme."""

    code: str
    name_zh: str
    name_en: str
    dcat: str | None  # EU data-theme code (TRAN, ECON …)


@dataclass(frozen=True)
class LicenceView:
    id: str
    title_zh: str
    title_en: str
    url: str
    open: bool


@dataclass(frozen=True)
class ResourceView:
    """One published version of a dataset: a CKAN resource / DCAT distribution."""

    id: str
    package_id: str
    name: str
    description: str
    format: str
    download_url: str
    created: dt.datetime
    last_modified: dt.datetime
    size: int | None
    row_count: int
    checksum: str
    version: int
    is_current: bool
    datastore_active: bool = True


@dataclass(frozen=True)
class DatasetView:
    id: str
    name: str
    title: str
    description: str
    org: OrgView
    theme: ThemeView | None
    keywords: tuple[str, ...]
    frequency: str
    temporal_start: dt.date | None
    temporal_end: dt.date | None
    spatial: str | None
    licence: LicenceView | None
    sharing_type: str
    open_type: str
    created: dt.datetime
    modified: dt.datetime
    landing_url: str
    personal_data: bool
    contact_name: str = ""
    contact_email: str = ""
    resources: tuple[ResourceView, ...] = field(default_factory=tuple)
    # For a de-identified release: the source dataset's name and the policy's fingerprint
    # (the release report holds the full policy text).
    derived_from: str | None = None
    deid_policy: str | None = None

    @property
    def formats(self) -> list[str]:
        return sorted({r.format for r in self.resources})
