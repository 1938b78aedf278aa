"""Running jobs: claim one (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; the write lock on
SQLite), run it outside any transaction while a heartbeat extends its lease, then record
success, a retry with exponential backoff, failure or cancellation.

A job whose lease ran out (its worker was killed) is claimable again: it runs once more if it
has attempts left, otherwise it is marked failed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import traceback
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from citybase.db import utcnow
from citybase.errors import CitybaseError
from citybase.events import publish
from citybase.jobs.base import JobCancelled, JobContext, enqueue_new, periodic_jobs, registry
from citybase.jobs.events import JobProgress
from citybase.jobs.models import Job

log = logging.getLogger("citybase.jobs")

BACKOFF_BASE_S = 10.0
BACKOFF_CAP_S = 3600.0


def backoff(attempts: int) -> dt.timedelta:
    """Delay before try ``attempts + 1``: 10 s, 20 s, 40 s … at most one hour."""
    return dt.timedelta(seconds=min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_CAP_S))


@dataclass(frozen=True)
class Claimed:
    id: int
    name: str
    args: dict[str, Any]
    attempt: int
    owner_id: int | None
    max_attempts: int


def _progress_event(job: Job) -> JobProgress:
    return JobProgress(
        job_id=job.id,
        name=job.name,
        status=job.status,
        done=job.progress_done,
        total=job.progress_total,
        percent=job.percent,
        message=job.progress_message or job.error[:500],
        audience_users=[job.owner_id] if job.owner_id else [],
    )


def _finish(job: Job, status: str, now: dt.datetime, *, error: str = "") -> None:
    job.status = status
    job.finished_at = now
    job.lease_until = None
    if error:
        job.error = error[:4000]


def claim(
    session_factory: sessionmaker[Session],
    *,
    worker: str,
    lease_seconds: int,
    queues: tuple[str, ...] = ("default",),
    now: dt.datetime | None = None,
) -> Claimed | bool | None:
    """Claim one due job. None: nothing due; False: a stuck job was closed (look again)."""
    now = now or utcnow()
    due = (
        select(Job.id)
        .where(
            Job.queue.in_(queues),
            or_(
                and_(Job.status == "queued", Job.run_at <= now),
                and_(Job.status == "running", Job.lease_until < now),
            ),
        )
        .order_by(Job.run_at, Job.id)
        .limit(1)
    )
    with session_factory() as peek:  # a short read first: no write lock while idle
        if peek.scalar(due) is None:
            return None
    with session_factory() as s, s.begin():
        if s.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        else:
            s.execute(text("UPDATE jobs_job SET attempts = attempts WHERE 0"))  # write lock
        job = s.scalars(select(Job).where(Job.id.in_(due))).first()
        if job is None:
            return None
        if job.status == "running":  # lease expired: its worker is gone
            log.warning("job %s (%s): lease expired on %s", job.id, job.name, job.worker)
            if job.cancel_requested:
                _finish(job, "cancelled", now)
                publish(s, _progress_event(job))
                return False
            if job.attempts >= job.max_attempts:
                _finish(job, "failed", now, error=f"worker {job.worker} stopped (lease expired)")
                publish(s, _progress_event(job))
                return False
        if job.cancel_requested:
            _finish(job, "cancelled", now)
            publish(s, _progress_event(job))
            return False
        job.status = "running"
        job.attempts += 1
        job.worker = worker
        job.lease_until = now + dt.timedelta(seconds=lease_seconds)
        job.started_at = now
        publish(s, _progress_event(job))
        return Claimed(
            job.id, job.name, json.loads(job.args), job.attempts, job.owner_id, job.max_attempts
        )


class _Heartbeat(threading.Thread):
    def __init__(self, sf: sessionmaker[Session], job_id: int, worker: str, lease: int) -> None:
        super().__init__(name=f"citybase-job-{job_id}-heartbeat", daemon=True)
        self.sf, self.job_id, self.worker, self.lease = sf, job_id, worker, lease
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(max(1.0, self.lease / 3)):
            try:
                with self.sf() as s, s.begin():
                    s.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.worker == self.worker)
                        .where(Job.status == "running")
                        .values(lease_until=utcnow() + dt.timedelta(seconds=self.lease))
                    )
            except Exception as exc:  # the database is busy or away: try again next beat
                log.warning("job %s heartbeat failed: %s", self.job_id, exc)


def _record(sf: sessionmaker[Session], c: Claimed, worker: str, outcome: str, value: Any) -> None:
    now = utcnow()
    with sf() as s, s.begin():
        job = s.get(Job, c.id, with_for_update=s.get_bind().dialect.name == "postgresql")
        if job is None or job.worker != worker or job.attempts != c.attempt:
            return  # the lease ran out and another worker took over
        if outcome == "ok":
            job.result = json.dumps(value, ensure_ascii=False, default=str)
            if job.progress_total:
                job.progress_done = job.progress_total
            _finish(job, "succeeded", now)
        elif outcome == "cancelled":
            _finish(job, "cancelled", now)
        elif outcome == "failed":
            result = getattr(value, "result", None)
            if result is not None:
                job.result = json.dumps(result, ensure_ascii=False, default=str)
            _finish(job, "failed", now, error=value.message)
        elif job.attempts < job.max_attempts and not job.cancel_requested:
            job.status = "queued"
            job.error = str(value)[:4000]
            job.lease_until = None
            job.run_at = now + backoff(job.attempts)
        else:
            _finish(job, "cancelled" if job.cancel_requested else "failed", now, error=value)
        publish(s, _progress_event(job))


def run_one(
    session_factory: sessionmaker[Session],
    *,
    worker: str,
    lease_seconds: int,
    queues: tuple[str, ...] = ("default",),
    now: dt.datetime | None = None,
) -> bool:
    """Claim and run one job. Return False when no job was due."""
    while True:
        c = claim(
            session_factory, worker=worker, lease_seconds=lease_seconds, queues=queues, now=now
        )
        if c is None:
            return False
        if c is not False:
            break
    assert isinstance(c, Claimed)
    spec = registry().get(c.name)
    beat = _Heartbeat(session_factory, c.id, worker, lease_seconds)
    beat.start()
    try:
        if spec is None:
            raise LookupError(f"no job function named {c.name!r} is installed")
        ctx = JobContext(
            job_id=c.id,
            name=c.name,
            attempt=c.attempt,
            max_attempts=c.max_attempts,
            worker=worker,
            owner_id=c.owner_id,
            session_factory=session_factory,
        )
        value: Any = spec.func(ctx, **c.args)
        outcome = "ok"
    except JobCancelled:
        outcome, value = "cancelled", None
    except CitybaseError as exc:
        if exc.status >= 500:  # e.g. the database was busy: worth another try
            outcome, value = "error", exc.message
        else:  # the input is wrong: retrying cannot help
            outcome, value = "failed", exc
    except Exception as exc:
        log.warning("job %s (%s) attempt %s failed: %s", c.id, c.name, c.attempt, exc)
        outcome, value = "error", "".join(traceback.format_exception_only(exc)).strip()
    finally:
        beat.done.set()
    _record(session_factory, c, worker, outcome, value)
    return True


def schedule_periodic(
    session_factory: sessionmaker[Session], *, now: dt.datetime | None = None
) -> int:
    """Queue each periodic job once per interval slot (dedupe key), whatever the number of
    workers doing this at the same time. Return how many were newly queued."""

    now = now or utcnow()
    n = 0
    for p in periodic_jobs():
        seconds = max(1, int(p.interval.total_seconds()))
        slot = int(now.timestamp()) // seconds
        key = f"periodic:{p.name}:{slot}"
        with session_factory() as s, s.begin():
            if s.get_bind().dialect.name == "sqlite":  # take the write lock before reading
                s.execute(text("UPDATE jobs_job SET attempts = attempts WHERE 0"))
            n += enqueue_new(s, p.name, p.args, run_at=now, dedupe_key=key)[1]
    return n


def run_due(
    session_factory: sessionmaker[Session],
    *,
    worker: str,
    lease_seconds: int,
    queues: tuple[str, ...] = ("default",),
    now: dt.datetime | None = None,
    limit: int = 10_000,
) -> int:
    n = 0
    while n < limit and run_one(
        session_factory, worker=worker, lease_seconds=lease_seconds, queues=queues, now=now
    ):
        n += 1
    return n
