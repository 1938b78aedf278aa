"""Looking at and cancelling jobs (owner or platform admin only)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import Conflict, NotFound
from citybase.events import publish
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.jobs.models import Job
from citybase.jobs.worker import _progress_event

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


def get(*, db_session: Session, job_id: int, user: User | None) -> Job:
    """The job, if ``user`` owns it or is a platform admin (None: the system, e.g. the CLI).
    Anyone else gets "no such job", so job ids reveal nothing."""
    job = db_session.get(Job, job_id)
    if job is None or not (
        user is None or user.role == Role.platform_admin or job.owner_id == user.id
    ):
        raise NotFound(f"No job #{job_id} that you may see.", field="id")
    return job


def as_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.name,
        "queue": job.queue,
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "run_at": job.run_at.isoformat(),
        "progress": {
            "done": job.progress_done,
            "total": job.progress_total,
            "percent": job.percent,
            "message": job.progress_message,
        },
        "cancel_requested": job.cancel_requested,
        "result": json.loads(job.result) if job.result else None,
        "error": job.error,
        "owner_id": job.owner_id,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def cancel(*, db_session: Session, job_id: int, user: User | None) -> Job:
    """Cancel a queued job now, or ask a running one to stop (it stops at its next
    progress report). Audited."""
    job = get(db_session=db_session, job_id=job_id, user=user)
    if job.status in TERMINAL:
        raise Conflict(f"Job #{job_id} already {job.status}; nothing to cancel.", field="id")
    job.cancel_requested = True
    if job.status == "queued":
        job.status = "cancelled"
        job.finished_at = utcnow()
    audit_service.record(
        db_session,
        actor=user,
        action="jobs.cancel",
        object_type="job",
        object_id=str(job.id),
        detail={"name": job.name, "status": job.status},
    )
    db_session.flush()
    publish(db_session, _progress_event(job))
    return job


def list_jobs(
    *, db_session: Session, user: User | None, status: str | None = None, limit: int = 50
) -> list[Job]:
    q = select(Job).order_by(Job.id.desc()).limit(limit)
    if status:
        q = q.where(Job.status == status)
    if user is not None and user.role != Role.platform_admin:
        q = q.where(Job.owner_id == user.id)
    return list(db_session.scalars(q).all())
