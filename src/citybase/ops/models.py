"""Ops tables: cases (案卷), their reports, photos, notes, routing rules, intake keys.

The case row carries what queues and indicators group and sort by (status, department,
category, area codes, the time limit's due instant, day strings in city time) so the
indicators are one GROUP BY and the queue one index range; the workflow's history table
holds every move.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from citybase.db import Base, UTCDateTime, utcnow


class OpsCase(Base):
    __tablename__ = "ops_case"
    __table_args__ = (
        Index("ix_ops_case_queue", "status", "department", "due_at"),
        Index("ix_ops_case_dept_due_day", "department", "due_day"),
        Index("ix_ops_case_near", "category", "created_at"),
        Index("ix_ops_case_due", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(32), index=True)  # = the workflow state
    channel: Mapped[str] = mapped_column(String(16))  # of the first report
    text: Mapped[str] = mapped_column(Text)  # the first report's text
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    needs_category: Mapped[bool] = mapped_column(Boolean, default=False)
    candidates: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{category, confidence}]
    department: Mapped[str | None] = mapped_column(String(32))
    routed_by: Mapped[str | None] = mapped_column(String(128))  # rule name, "default", a person
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(Text, default="")
    district_code: Mapped[str | None] = mapped_column(String(64), index=True)
    street_code: Mapped[str | None] = mapped_column(String(64), index=True)
    grid_code: Mapped[str | None] = mapped_column(String(64), index=True)
    alarm_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    result: Mapped[str] = mapped_column(Text, default="")
    satisfaction: Mapped[str | None] = mapped_column(String(32))
    merged_into: Mapped[int | None] = mapped_column(Integer)
    # Counters and facts for the indicators.
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    urge_count: Mapped[int] = mapped_column(Integer, default=0)
    supervise_count: Mapped[int] = mapped_column(Integer, default=0)
    handling_hours: Mapped[float | None] = mapped_column(Float)  # working hours, dispatch→handled
    on_time: Mapped[bool | None] = mapped_column(Boolean)  # handled by the due instant
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    registered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    registered_day: Mapped[str | None] = mapped_column(String(10), index=True)  # city date
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_day: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The time limit (a citybase.worktime.Deadline), counted from dispatch to handled.
    sla_unit: Mapped[str | None] = mapped_column(String(16))
    sla_amount: Mapped[float | None] = mapped_column(Float)
    sla_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sla_allowed_us: Mapped[int | None] = mapped_column(BigInteger)
    sla_paused_us: Mapped[int | None] = mapped_column(BigInteger)
    sla_paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sla_error: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    due_day: Mapped[str | None] = mapped_column(String(10), index=True)  # city date of due_at


class OpsReport(Base):
    """One report of a case (a call, an app report, a patrol finding, an alarm)."""

    __tablename__ = "ops_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ops_case.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    reporter_name: Mapped[str] = mapped_column(String(64), default="")
    reporter_phone: Mapped[str] = mapped_column(String(32), default="")
    reporter_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(Text, default="")
    external_ref: Mapped[str] = mapped_column(String(128), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OpsPhoto(Base):
    __tablename__ = "ops_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ops_case.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # report / handled / verify
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)  # relative to the data dir
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OpsNote(Base):
    """What is said on a case besides moves: replies to reporters, alarm repeats, notes."""

    __tablename__ = "ops_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ops_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # reply / note / alarm_repeated / alarm_cleared
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OpsRoutingRule(Base):
    """A routing rule an admin keeps in the database (tried before the file's rules)."""

    __tablename__ = "ops_routing_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=100)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    categories: Mapped[str] = mapped_column(Text, default="[]")  # JSON list; empty = any
    area_codes: Mapped[str] = mapped_column(Text, default="[]")  # district/street/grid codes
    keywords: Mapped[str] = mapped_column(Text, default="[]")  # any of them in the text
    hours: Mapped[str] = mapped_column(String(16), default="")  # "22-06": city time window
    department: Mapped[str] = mapped_column(String(32))
    grid_code: Mapped[str | None] = mapped_column(String(64))
    updated_by: Mapped[str] = mapped_column(String(64), default="system")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
