"""SLA timers: a periodic job that publishes deadline warnings and overdue notices.

Every few minutes ``workflow.check_deadlines`` finds running (not paused) time limits whose
warning instant or due instant has passed and publishes ``workflow.DeadlineWarning`` /
``workflow.DeadlineOverdue`` once per due instant (an extension makes a new one). It writes
only notice rows, never the instance, so it cannot make a person's move fail with 409.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from citybase.db import utcnow
from citybase.events import publish
from citybase.jobs import JobContext, PeriodicJob, job
from citybase.workflow.events import DeadlineOverdue, DeadlineWarning
from citybase.workflow.models import DeadlineNotice, WorkflowInstance

CHECK_EVERY = dt.timedelta(minutes=5)
PERIODIC = [PeriodicJob("workflow.check_deadlines", CHECK_EVERY)]


def _due(db_session: Session, kind: str, column: Any, now: dt.datetime) -> list[WorkflowInstance]:
    noticed = select(DeadlineNotice.id).where(
        and_(
            DeadlineNotice.instance_id == WorkflowInstance.id,
            DeadlineNotice.kind == kind,
            DeadlineNotice.due_at == WorkflowInstance.deadline_due_at,
        )
    )
    stmt = (
        select(WorkflowInstance)
        .where(
            column.is_not(None),
            column <= now,
            WorkflowInstance.deadline_paused_at.is_(None),
            ~noticed.exists(),
        )
        .order_by(WorkflowInstance.id)
    )
    return list(db_session.scalars(stmt))


def check_deadlines(*, db_session: Session, now: dt.datetime | None = None) -> dict[str, int]:
    """Publish the notices due at ``now``; return how many of each kind."""
    now = now or utcnow()
    counts = {"warning": 0, "overdue": 0}
    kinds = (
        ("overdue", WorkflowInstance.deadline_due_at, DeadlineOverdue),
        ("warning", WorkflowInstance.deadline_warn_at, DeadlineWarning),
    )
    for kind, column, event in kinds:
        for inst in _due(db_session, kind, column, now):
            assert inst.deadline_due_at is not None
            db_session.add(
                DeadlineNotice(instance_id=inst.id, kind=kind, due_at=inst.deadline_due_at, at=now)
            )
            if kind == "warning" and inst.deadline_due_at <= now:
                continue  # already overdue: the overdue notice says more
            publish(
                db_session,
                event(
                    workflow=inst.workflow,
                    instance_id=inst.id,
                    subject_type=inst.subject_type,
                    subject_id=inst.subject_id,
                    state=inst.state,
                    due_at=inst.deadline_due_at,
                    audience_departments=_departments(inst),
                ),
            )
            counts[kind] += 1
    db_session.flush()
    return counts


def _departments(inst: WorkflowInstance) -> list[str]:
    return sorted({c for c in json.loads(inst.departments).values() if c})


@job("workflow.check_deadlines", max_attempts=1)
def check_deadlines_job(ctx: JobContext) -> dict[str, int]:
    with ctx.session_factory() as s:
        counts = check_deadlines(db_session=s)
        s.commit()
    return counts
