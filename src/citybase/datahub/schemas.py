"""Pydantic shapes of the data hub API (engine types live in ``citybase.datahub.types``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from citybase.datahub.enums import BindingRole, OpenType, SharingType, UpdateFrequency
from citybase.datahub.score import quality_text
from citybase.datahub.types import (
    ColumnProfile,
    ColumnSchema,
    QualityReport,
    QualityRule,
    RowFilter,
    SchemaDrift,
)

NAME_PATTERN = re.compile(r"^[a-z0-9_-]{2,100}$")


def check_name(value: str) -> str:
    """A CKAN-style slug: lowercase a-z, digits, '-' and '_', 2 to 100 characters."""
    if not NAME_PATTERN.fullmatch(value):
        raise ValueError(
            "must be 2-100 characters of lowercase a-z, 0-9, '-' or '_' (e.g. 'gaj-residents')"
        )
    return value


def _clean_keywords(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        v = v.strip()
        if not v:
            continue
        if len(v) > 50:
            raise ValueError(f"keyword '{v[:20]}…' is longer than 50 characters")
        if v not in out:
            out.append(v)
    if len(out) > 30:
        raise ValueError("at most 30 keywords")
    return out


class DatasetFields(BaseModel):
    """Metadata a steward writes; the DCAT-AP property each maps to is in docs/datahub.md."""

    title: str = Field(min_length=1, max_length=200, description="Title (Chinese).")
    description: str = Field("", max_length=20_000)
    contact_name: str = Field("", max_length=100)
    contact_email: str = Field("", max_length=200)
    contact_phone: str = Field("", max_length=50)
    theme: str = Field(description="Theme code from the city's theme list.")
    keywords: list[str] = Field(default_factory=list)
    update_frequency: UpdateFrequency = UpdateFrequency.irregular
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None
    spatial: str = Field(
        "", max_length=200, description="Spatial coverage, e.g. 示范市 or a district."
    )
    licence: str = Field(description="Licence id from the city's licence list.")
    sharing_type: SharingType
    sharing_condition: str = Field("", max_length=500)
    open_type: OpenType
    open_condition: str = Field("", max_length=500)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, v: list[str]) -> list[str]:
        return _clean_keywords(v)


class DatasetCreate(DatasetFields):
    name: str = Field(description="URL-safe unique name: lowercase a-z, 0-9, '-', '_'.")
    department_code: str | None = Field(
        None, description="Owning department; default: the creator's own department."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_name(v)


class DatasetUpdate(BaseModel):
    """Only the fields given change."""

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20_000)
    contact_name: str | None = Field(None, max_length=100)
    contact_email: str | None = Field(None, max_length=200)
    contact_phone: str | None = Field(None, max_length=50)
    theme: str | None = None
    keywords: list[str] | None = None
    update_frequency: UpdateFrequency | None = None
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None
    spatial: str | None = Field(None, max_length=200)
    licence: str | None = None
    sharing_type: SharingType | None = None
    sharing_condition: str | None = Field(None, max_length=500)
    open_type: OpenType | None = None
    open_condition: str | None = Field(None, max_length=500)

    @field_validator("keywords")
    @classmethod
    def _kw(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _clean_keywords(v)


class ColumnRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    type: str
    position: int
    present: bool
    description: str
    pii_type: str | None
    grade: str | None


class DatasetRead(BaseModel):
    name: str
    title: str
    description: str
    department_code: str
    department_name: str
    contact_name: str
    contact_email: str
    contact_phone: str
    theme: str
    theme_name: str
    keywords: list[str]
    update_frequency: UpdateFrequency
    temporal_start: dt.date | None
    temporal_end: dt.date | None
    spatial: str
    licence: str
    sharing_type: SharingType
    sharing_condition: str
    open_type: OpenType
    open_condition: str
    current_version: int | None
    row_count: int | None
    source_format: str | None
    last_loaded_at: dt.datetime | None
    quality_score: float | None
    quality_failing_rules: int | None = Field(
        None, description="Rules with at least one failing row in the latest quality report."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    columns: list[ColumnRead] = Field(default_factory=list)

    @computed_field(description="The quality figure as every page and the CLI write it.")  # type: ignore[prop-decorator]
    @property
    def quality_text(self) -> str:
        return quality_text(self.quality_score)


class DatasetHit(BaseModel):
    """One search result."""

    name: str
    title: str
    description: str
    department_code: str
    department_name: str
    theme: str
    sharing_type: SharingType
    open_type: OpenType
    source_format: str | None
    row_count: int | None
    quality_score: float | None
    quality_failing_rules: int | None = None
    updated_at: dt.datetime
    score: float

    @computed_field(description="The quality figure as every page and the CLI write it.")  # type: ignore[prop-decorator]
    @property
    def quality_text(self) -> str:
        return quality_text(self.quality_score)


class FacetCount(BaseModel):
    value: str
    label: str
    count: int


class SearchResults(BaseModel):
    q: str
    total: int
    offset: int
    limit: int
    hits: list[DatasetHit]
    facets: dict[str, list[FacetCount]]
    took_ms: float


class VersionRead(BaseModel):
    number: int
    row_count: int
    columns: list[ColumnSchema]
    checksum: str
    source_name: str
    source_format: str
    encoding: str | None
    bytes_read: int
    seconds: float
    loaded_by: str
    loaded_at: dt.datetime
    quality_score: float | None
    drift: SchemaDrift
    current: bool

    @computed_field(description="The quality figure as every page and the CLI write it.")  # type: ignore[prop-decorator]
    @property
    def quality_text(self) -> str:
        return quality_text(self.quality_score)


class VersionDetail(VersionRead):
    profile: list[ColumnProfile]
    quality: QualityReport | None


class LoadReport(BaseModel):
    """What a load did: the new version, its drift from the previous one, its quality."""

    dataset: str
    version: VersionDetail
    previous_version: int | None
    warnings: list[str] = Field(default_factory=list)


class RollbackCreate(BaseModel):
    """Make version ``version`` current again."""

    version: int = Field(ge=1, le=2**31 - 1)


class RollbackReport(BaseModel):
    """What a rollback did: which version is current now, its quality and release state."""

    dataset: str
    current_version: int
    previous_version: int | None
    rows: int
    quality: QualityReport
    quality_text: str
    held_back: bool
    warnings: list[str] = Field(default_factory=list)


class RuleKindRead(BaseModel):
    kind: str
    description_zh: str
    description_en: str


class RulesRead(BaseModel):
    rules: list[QualityRule]


class QualityRead(BaseModel):
    dataset: str
    version: int | None
    checked_at: dt.datetime | None
    report: QualityReport | None

    @computed_field(description="The report's score as every page and the CLI write it.")  # type: ignore[prop-decorator]
    @property
    def quality_text(self) -> str:
        return quality_text(self.report.score if self.report else None)


class ElementCreate(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=5000)
    data_type: str = Field("string", max_length=16)
    identifier_scheme: str | None = Field(None, pattern=r"^(gb11643|gb32100|luhn)$")
    standard: str = Field("", max_length=200)


class BindingCreate(BaseModel):
    dataset: str
    column: str = Field(min_length=1, max_length=200)
    role: BindingRole
    key_column: str | None = Field(None, max_length=200)


class BindingRead(BaseModel):
    id: int
    element_code: str
    element_name: str
    dataset: str
    dataset_title: str
    department_code: str
    column: str
    role: BindingRole
    key_column: str | None


class ElementRead(BaseModel):
    code: str
    name: str
    description: str
    data_type: str
    identifier_scheme: str | None
    standard: str
    authority: BindingRead | None
    replicas: list[BindingRead]


class MismatchSample(BaseModel):
    key: str
    authority_value: str | None
    replica_value: str | None


class ReplicaConsistency(BaseModel):
    dataset: str
    dataset_title: str
    department_code: str
    column: str
    compared: int
    matching: int
    mismatched: int
    missing_in_authority: int
    match_share: float
    samples: list[MismatchSample]
    problem: str | None = None


class ConsistencyReport(BaseModel):
    element_code: str
    element_name: str
    authority: BindingRead
    replicas: list[ReplicaConsistency]


class LineageCreate(BaseModel):
    source: str = Field(description="Name of the source dataset.")
    transformation: str = Field(min_length=1, max_length=5000)


class LineageRead(BaseModel):
    dataset: str
    source: str
    source_title: str
    source_version: int | None
    transformation: str
    recorded_by: str
    recorded_at: dt.datetime


class RowsRead(BaseModel):
    dataset: str
    version: int
    columns: list[ColumnSchema]
    rows: list[dict[str, Any]]
    total: int
    next_cursor: str | None


class RowsQueryBody(BaseModel):
    """POST form of the rows query, for filters a query string cannot carry comfortably."""

    columns: list[str] | None = None
    filters: list[RowFilter] = Field(default_factory=list)
    q: str | None = None
    sort: list[str] = Field(default_factory=list, description="Column names; '-' prefix: desc.")
    limit: int = Field(100, ge=0, le=10_000)
    cursor: str | None = None
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class ElementUsageRow(BaseModel):
    element_code: str
    element_name: str
    departments: int
    reads: int
    department_codes: list[str]
    authority: str | None


class DatasetUsageRow(BaseModel):
    dataset: str
    title: str
    department_code: str
    departments: int
    reads: int
    rows: int


class UsageReport(BaseModel):
    since: dt.date
    until: dt.date
    elements: list[ElementUsageRow]
    datasets: list[DatasetUsageRow]


class ThemeRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    dcat: str
