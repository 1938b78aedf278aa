"""Types shared by the data hub's file engine (ingest, profile, quality, query) and its
catalog (models, service, API). The engine works on files only; the catalog decides where
files live and records what the engine reports.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

# Logical column types citybase exposes (mapped to/from Arrow & DuckDB by the engine).
ColumnType = Literal[
    "string", "integer", "float", "boolean", "date", "timestamp", "decimal", "binary"
]


class ColumnSchema(BaseModel):
    name: str
    type: ColumnType
    nullable: bool = True


class IngestOptions(BaseModel):
    """How to read a source file. Everything is detected when left as None."""

    format: Literal["csv", "xlsx", "json", "ndjson", "parquet"] | None = None
    encoding: str | None = None  # e.g. "utf-8", "gbk", "gb18030"; detected when None
    delimiter: str | None = None
    header: bool | None = None
    sheet: str | None = None  # XLSX sheet name; first sheet when None
    schema_override: dict[str, ColumnType] = Field(default_factory=dict)


class DetectedFormat(BaseModel):
    """What ``ingest.detect`` found in a file, for a preview before loading it.

    Added by the file engine: ``sheets`` lists an XLSX workbook's sheets, ``skip_rows`` the
    title lines above a CSV header, ``sample`` the first rows as they would load.
    """

    format: Literal["csv", "xlsx", "json", "ndjson", "parquet"]
    encoding: str | None = None
    delimiter: str | None = None
    header: bool | None = None
    columns: list[ColumnSchema] = Field(default_factory=list)
    sheets: list[str] = Field(default_factory=list)
    skip_rows: int = 0
    sample: list[dict[str, Any]] = Field(default_factory=list)


class LineMap(BaseModel):
    """Where the records of a loaded file stand in the file as its steward sees it.

    ``starts`` lists (record number, line) pairs, 1-based and ascending: record ``r`` is on
    line ``line + (r - record)`` of the last pair at or before ``r``. A CSV has one pair
    (title lines and the header come first; a quoted value spanning lines is not counted,
    so lines after one shift); an XLSX sheet has one more pair after each run of empty
    rows, so rows are the sheet's own row numbers. JSON and Parquet count records.
    """

    label: Literal["line", "row", "record"] = "record"
    starts: list[tuple[int, int]] = Field(default_factory=lambda: [(1, 1)])

    def line_of(self, record: int) -> int:
        at, line = 1, 1
        for start, first in self.starts:
            if start > record:
                break
            at, line = start, first
        return line + (record - at)


class LoadConsent(BaseModel):
    """What the steward explicitly accepts for one load (both audited when they matter).

    ``accept_schema``: load even though a column loses its type (date → string …);
    ``confirm_shrink``: load even though the new version has far fewer rows than the current
    one (``CITYBASE_LOAD_SHRINK_CONFIRM_SHARE``).
    """

    accept_schema: bool = False
    confirm_shrink: bool = False


class IngestResult(BaseModel):
    row_count: int
    columns: list[ColumnSchema]
    checksum: str  # sha256 of the written Parquet file
    source_format: str
    encoding: str | None
    delimiter: str | None
    bytes_read: int
    seconds: float
    lines: LineMap = Field(default_factory=LineMap)  # added by the guards: record → line


class TopValue(BaseModel):
    value: Any
    count: int


class ColumnProfile(BaseModel):
    name: str
    type: ColumnType
    null_share: float
    distinct_count: int
    distinct_exact: bool = True  # added by the engine: False when distinct_count is an estimate
    min: Any = None
    max: Any = None
    top_values: list[TopValue] = Field(default_factory=list)


class SchemaDrift(BaseModel):
    added: list[ColumnSchema] = Field(default_factory=list)
    removed: list[ColumnSchema] = Field(default_factory=list)
    type_changed: list[tuple[str, ColumnType, ColumnType]] = Field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.type_changed)


RuleKind = Literal[
    "not_null",
    "unique",
    "regex",
    "allowed_values",
    "range",
    "reference",
    "checksum",
    "freshness",
]


class QualityRule(BaseModel):
    """One declared rule. ``params`` by kind:
    regex: {pattern}; allowed_values: {values: [...]}; range: {min?, max?};
    reference: {dataset, column} (the referenced dataset's current version is resolved by
    the catalog and passed to the engine as a Parquet path); checksum: {scheme: gb11643 |
    gb32100 | luhn}; freshness: {column?, max_age_days} (the catalog may also judge freshness
    from the declared update frequency); not_null/unique: {}.
    """

    name: str | None = None
    kind: RuleKind
    column: str | None = None  # freshness on the load time needs no column
    params: dict[str, Any] = Field(default_factory=dict)
    blocking: bool = False


class RuleResult(BaseModel):
    rule: QualityRule
    checked: int
    failed: int
    score: float  # share of rows passing, 0..1
    samples: list[dict[str, Any]] = Field(default_factory=list)  # up to 5 failing rows
    message: str = ""


class QualityReport(BaseModel):
    score: float  # mean of rule scores (1.0 when there are no rules)
    results: list[RuleResult]

    @property
    def blocking_failures(self) -> list[RuleResult]:
        return [r for r in self.results if r.rule.blocking and r.failed > 0]


class RowFilter(BaseModel):
    column: str
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "is_null"] = "eq"
    value: Any = None


class RowQuery(BaseModel):
    columns: list[str] | None = None  # projection; all when None
    filters: list[RowFilter] = Field(default_factory=list)
    q: str | None = None  # full-text-ish: substring over string columns
    sort: list[tuple[str, Literal["asc", "desc"]]] = Field(default_factory=list)
    limit: int = Field(100, ge=0, le=10_000)
    offset: int = Field(0, ge=0)
    after: dict[str, Any] | None = None  # keyset: values of the sort keys of the last row


class RowPage(BaseModel):
    columns: list[ColumnSchema]
    rows: list[dict[str, Any]]
    total: int
    next_after: dict[str, Any] | None = None
