"""The outbox (one row per published event) and deliveries (one row per event and
subscriber: the subscriber's progress, attempts and last error)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from citybase.db import Base, UTCDateTime, utcnow

DELIVERY_STATUSES = "'pending', 'done', 'failed'"


class OutboxEvent(Base):
    """A published event. Ids only grow: the live stream resumes from ``Last-Event-ID``."""

    __tablename__ = "events_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[str] = mapped_column(Text)  # JSON object
    audience_departments: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    audience_users: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Delivery(Base):
    """One subscriber's delivery of one event."""

    __tablename__ = "events_delivery"
    __table_args__ = (
        CheckConstraint(f"status IN ({DELIVERY_STATUSES})", name="status"),
        UniqueConstraint("outbox_id", "subscriber"),
        Index("ix_events_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("events_outbox.id", ondelete="CASCADE"), index=True
    )
    subscriber: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
