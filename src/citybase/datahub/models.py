"""The data hub catalog's tables: datasets, versions, columns, elements, rules, usage, search.

Dataset *contents* never live here: each version is an immutable Parquet file under
``data_dir/datahub/<dataset id>/``; a version row exists only for a file the engine has
fully written, so a file without a row is an orphan the catalog ignores.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citybase.db import Base, UTCDateTime, utcnow
from citybase.identity.models import Department


class Dataset(Base):
    """One catalogued data resource (数据资源), with DCAT-AP-aligned metadata.

    ``current_version`` names the version readers get; it moves only when a load commits.
    ``row_count``, ``source_format`` and the quality columns repeat facts of that version
    so lists and facets need no join. ``search_stamp`` changes whenever the dataset's
    search tokens are rewritten (the in-process search index reloads what changed).
    """

    __tablename__ = "datahub_dataset"
    __table_args__ = (
        CheckConstraint(
            "sharing_type IN ('unconditional', 'conditional', 'not_shared')", name="sharing_type"
        ),
        CheckConstraint(
            "open_type IN ('unconditional', 'conditional', 'not_open')", name="open_type"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int] = mapped_column(
        ForeignKey("identity_department.id", ondelete="RESTRICT"), index=True
    )
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    theme: Mapped[str] = mapped_column(String(32), index=True)
    keywords: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of strings
    update_frequency: Mapped[str] = mapped_column(String(16))
    temporal_start: Mapped[dt.date | None] = mapped_column(Date)
    temporal_end: Mapped[dt.date | None] = mapped_column(Date)
    spatial: Mapped[str] = mapped_column(String(200), default="")
    licence: Mapped[str] = mapped_column(String(64))
    sharing_type: Mapped[str] = mapped_column(String(16), index=True)
    sharing_condition: Mapped[str] = mapped_column(String(500), default="")
    open_type: Mapped[str] = mapped_column(String(16), index=True)
    open_condition: Mapped[str] = mapped_column(String(500), default="")
    current_version: Mapped[int | None] = mapped_column(Integer)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    source_format: Mapped[str | None] = mapped_column(String(16))
    last_loaded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    quality_score: Mapped[float | None] = mapped_column(Float)
    quality_report: Mapped[str | None] = mapped_column(Text)  # JSON QualityReport, latest run
    quality_checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    search_stamp: Mapped[str] = mapped_column(String(32), default="")
    # Classification and grading (分类分级): ``grade`` is the effective grade (就高从严 over
    # the columns' grades and the steward's designation); core/important only come from a
    # steward (``steward_grade`` with a written ``grade_reason``), never from detection.
    grade: Mapped[str | None] = mapped_column(String(16))
    steward_grade: Mapped[str | None] = mapped_column(String(16))
    grade_reason: Mapped[str] = mapped_column(String(1000), default="")
    graded_by_name: Mapped[str | None] = mapped_column(String(64))
    graded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The version that passed the open-release risk gate (see datahub.release): a dataset
    # holding personal data is only public while this equals ``current_version``.
    released_version: Mapped[int | None] = mapped_column(Integer)
    # True while the dataset holds (or derives from) personal data whose current version
    # has not passed that gate: the open catalog then treats it as not open, whatever its
    # declared open_type says.
    held_back: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_name: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")

    @property
    def public_open_type(self) -> str:
        """The open type the open catalog acts on: not_open while held back."""
        return "not_open" if self.held_back else self.open_type

    @property
    def department_code(self) -> str:
        return self.department.code


class DatasetVersion(Base):
    """One load of a dataset: immutable once written."""

    __tablename__ = "datahub_version"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    file_path: Mapped[str] = mapped_column(String(500))  # relative to data_dir
    row_count: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[str] = mapped_column(Text)  # JSON list of ColumnSchema
    checksum: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(300), default="")
    source_format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    loaded_by_name: Mapped[str] = mapped_column(String(64), default="system")
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    profile: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of ColumnProfile
    quality: Mapped[str] = mapped_column(Text, default="{}")  # JSON QualityReport at load
    quality_score: Mapped[float | None] = mapped_column(Float)
    drift: Mapped[str] = mapped_column(Text, default="{}")  # JSON SchemaDrift vs previous


class DatasetColumn(Base):
    """A column of a dataset as of its current version, with slots the governance issue fills.

    ``pii_type`` (CN_ID_CARD, CN_MOBILE, ADDRESS…) and ``grade`` (``general-4``…) are set by
    the scan on every load (``datahub.classify``) unless a steward overrode them
    (``pii_source == 'steward'``); profiles mask top values of columns with a ``pii_type``.
    ``present`` turns false when a later version drops the column (bindings keep pointing).
    """

    __tablename__ = "datahub_column"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    pii_type: Mapped[str | None] = mapped_column(String(32))
    grade: Mapped[str | None] = mapped_column(String(16))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the last scan found, even where it is not acted on (an address in a dataset about
    # schools is a place, not personal information): the steward sees both.
    detected_type: Mapped[str | None] = mapped_column(String(32))
    pii_confidence: Mapped[float | None] = mapped_column(Float)
    pii_hit_ratio: Mapped[float | None] = mapped_column(Float)
    # 'detected' (rescanned on every load) or 'steward' (kept until the steward changes it)
    pii_source: Mapped[str | None] = mapped_column(String(16))
    override_reason: Mapped[str] = mapped_column(String(1000), default="")


class DataElement(Base):
    """A data element (数据元) of the city's registry, e.g. 公民身份号码."""

    __tablename__ = "datahub_element"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    data_type: Mapped[str] = mapped_column(String(16), default="string")
    identifier_scheme: Mapped[str | None] = mapped_column(String(16))
    standard: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ElementBinding(Base):
    """A dataset column holding an element, as its one authority or as a replica.

    ``key_column`` names the dataset's column that identifies the subject (e.g. the identity
    number), so replica values can be compared with the authority's row by row. At most one
    authority per element: a partial unique index enforces it on every backend.
    """

    __tablename__ = "datahub_binding"
    __table_args__ = (
        UniqueConstraint("element_id", "dataset_id", "column"),
        CheckConstraint("role IN ('authority', 'replica')", name="role"),
        Index(
            "ix_datahub_binding_one_authority",
            "element_id",
            unique=True,
            sqlite_where=text("role = 'authority'"),
            postgresql_where=text("role = 'authority'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    element_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_element.id", ondelete="CASCADE"), index=True
    )
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), index=True
    )
    column: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    key_column: Mapped[str | None] = mapped_column(String(200))
    created_by_name: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    element: Mapped[DataElement] = relationship(lazy="joined")
    dataset: Mapped[Dataset] = relationship(lazy="joined")


class QualityRuleRecord(Base):
    """One declared quality rule of a dataset (params as JSON, see datahub.types.QualityRule)."""

    __tablename__ = "datahub_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    column: Mapped[str | None] = mapped_column(String(200))
    params: Mapped[str] = mapped_column(Text, default="{}")
    blocking: Mapped[bool] = mapped_column(Boolean, default=False)


class LineageLink(Base):
    """``dataset`` was derived from ``source`` by ``transformation``."""

    __tablename__ = "datahub_lineage"
    __table_args__ = (UniqueConstraint("dataset_id", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), index=True
    )
    source_version: Mapped[int | None] = mapped_column(Integer)
    transformation: Mapped[str] = mapped_column(Text, default="")
    recorded_by_name: Mapped[str] = mapped_column(String(64), default="system")
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    source: Mapped[Dataset] = relationship(foreign_keys=[source_id], lazy="joined")
    dataset: Mapped[Dataset] = relationship(foreign_keys=[dataset_id], lazy="joined")


class DatasetUsage(Base):
    """Reads of a dataset per day, requesting department and channel (api, download)."""

    __tablename__ = "datahub_usage"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), primary_key=True
    )
    department_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    reads: Mapped[int] = mapped_column(BigInteger, default=0)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)


class ElementUsage(Base):
    """Reads of a data element (through any bound column) per day and requesting department."""

    __tablename__ = "datahub_element_usage"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    element_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_element.id", ondelete="CASCADE"), primary_key=True
    )
    department_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    reads: Mapped[int] = mapped_column(BigInteger, default=0)


class SearchToken(Base):
    """One token of a dataset's searchable text with its field-weighted frequency."""

    __tablename__ = "datahub_search_token"

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)


class CatalogState(Base):
    """One row: a random stamp replaced on every catalog change (search cache key)."""

    __tablename__ = "datahub_catalog_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stamp: Mapped[str] = mapped_column(String(32))


class Release(Base):
    """One attempt to publish a dataset version to the open catalog through the risk gate.

    Blocked attempts are kept too, with their reasons, so a steward sees why. ``source_id``
    and ``policy`` say where the released rows came from and how they were de-identified.
    """

    __tablename__ = "datahub_release"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int | None] = mapped_column(Integer)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="SET NULL")
    )
    source_version: Mapped[int | None] = mapped_column(Integer)
    policy: Mapped[str] = mapped_column(Text, default="")  # YAML of the DeidPolicy applied
    policy_fingerprint: Mapped[str] = mapped_column(String(16), default="")
    quasi_identifiers: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    min_k: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of strings
    report: Mapped[str] = mapped_column(Text, default="{}")  # JSON risk report
    requested_by_name: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    dataset: Mapped[Dataset] = relationship(foreign_keys=[dataset_id], lazy="joined")
    source: Mapped[Dataset | None] = relationship(foreign_keys=[source_id], lazy="joined")
