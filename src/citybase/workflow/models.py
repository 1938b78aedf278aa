"""Workflow instances (one per subject) and their transition history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybase.db import Base, UTCDateTime, utcnow


class WorkflowInstance(Base):
    """Where one subject (a sharing request, a case …) stands in its workflow.

    ``version`` is SQLAlchemy's optimistic-concurrency column: an UPDATE only applies when
    the row still has the version that was read, so of two concurrent moves exactly one wins.
    The ``deadline_*`` columns hold a ``citybase.worktime.Deadline`` (null when no limit runs).
    """

    __tablename__ = "workflow_instance"
    __table_args__ = (UniqueConstraint("workflow", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64), index=True)
    departments: Mapped[str] = mapped_column(Text, default="{}")  # JSON {relation: code}
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_unit: Mapped[str | None] = mapped_column(String(16))
    deadline_amount: Mapped[float | None] = mapped_column(Float)
    deadline_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deadline_allowed_us: Mapped[int | None] = mapped_column(BigInteger)
    deadline_paused_us: Mapped[int | None] = mapped_column(BigInteger)
    deadline_paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deadline_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    deadline_warn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class WorkflowTransition(Base):
    """One move: who, when, from where to where, and why."""

    __tablename__ = "workflow_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("workflow_instance.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))  # None: the start
    to_state: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON


class DeadlineNotice(Base):
    """A deadline warning or overdue notice already published for one due instant.

    Insert-only (the instance row, and so its version, is never touched by the timer); a new
    due instant (an extension, a new limit) may be noticed again."""

    __tablename__ = "workflow_deadline_notice"
    __table_args__ = (UniqueConstraint("instance_id", "kind", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("workflow_instance.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # warning / overdue
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
