"""The job queue's one table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybase.db import Base, UTCDateTime, utcnow

JOB_STATUSES = "'queued', 'running', 'succeeded', 'failed', 'cancelled'"


class Job(Base):
    """One run of a registered job function, with its arguments, attempts, lease and result.

    ``dedupe_key`` is unique: enqueueing a key that exists returns the existing job (periodic
    jobs use ``periodic:<name>:<slot>``, so several workers start each period once)."""

    __tablename__ = "jobs_job"
    __table_args__ = (
        CheckConstraint(f"status IN ({JOB_STATUSES})", name="status"),
        Index("ix_jobs_job_due", "status", "queue", "run_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    queue: Mapped[str] = mapped_column(String(32), default="default")
    args: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_user.id", ondelete="SET NULL"), index=True
    )
    worker: Mapped[str] = mapped_column(String(100), default="")
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    progress_message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str | None] = mapped_column(Text)  # JSON
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def percent(self) -> int | None:
        if self.progress_total <= 0:
            return 100 if self.status == "succeeded" else None
        return min(100, round(100 * self.progress_done / self.progress_total))
