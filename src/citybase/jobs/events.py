"""The jobs domain's events."""

from __future__ import annotations

from citybase.events import DomainEvent


class JobProgress(DomainEvent):
    """A job started, moved on, or finished. Seen by its owner (and platform admins)."""

    event_type = "jobs.JobProgress"
    version = 1

    job_id: int
    name: str
    status: str  # queued, running, succeeded, failed, cancelled
    done: int = 0
    total: int = 0
    percent: int | None = None
    message: str = ""
