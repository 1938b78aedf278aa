"""Registering job functions, enqueueing them, and what a running job sees (``JobContext``)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from citybase.db import utcnow
from citybase.errors import CitybaseError, ConfigurationError, ValidationFailed
from citybase.events import publish
from citybase.events.base import wake_after_commit
from citybase.jobs.events import JobProgress
from citybase.jobs.models import Job
from citybase.plugins import get_plugin_manager

NOTIFY_CHANNEL = "citybase_jobs"
F = TypeVar("F", bound=Callable[..., Any])


class JobCancelled(CitybaseError):
    """Raised inside a job (by ``ctx.progress`` or ``ctx.raise_if_cancelled``) once someone
    asked to cancel it; the worker then marks the job cancelled."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"Job #{job_id} was cancelled.", code="job_cancelled", status=409)


class JobFailed(CitybaseError):
    """Raise from a job to fail it at once, without retries (the input is wrong, not the
    moment); ``result`` (JSON-able) is kept with the job, e.g. a quality report."""

    def __init__(self, message: str, *, result: Any = None, field: str | None = None) -> None:
        super().__init__(message, code="job_failed", status=422, field=field)
        self.result = result


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[..., Any]
    queue: str
    max_attempts: int


@dataclass(frozen=True)
class PeriodicJob:
    """A job the workers enqueue every ``interval`` (returned by ``citybase_periodic_jobs``)."""

    name: str
    interval: dt.timedelta
    args: dict[str, Any] = field(default_factory=dict)


REGISTRY: dict[str, JobSpec] = {}
_loaded = False


def job(name: str, *, queue: str = "default", max_attempts: int = 3) -> Callable[[F], F]:
    """Register ``func(ctx, **args) -> JSON-able result`` as the job ``name``."""
    if max_attempts < 1:
        raise ConfigurationError(f"job {name!r}: max_attempts must be ≥ 1.")

    def register(func: F) -> F:
        known = REGISTRY.get(name)
        if known is not None and known.func.__qualname__ != func.__qualname__:
            raise ConfigurationError(f"Two job functions are registered as {name!r}.")
        REGISTRY[name] = JobSpec(name=name, func=func, queue=queue, max_attempts=max_attempts)
        return func

    return register


def registry() -> dict[str, JobSpec]:
    """Every registered job, after importing each plug-in's job modules once."""
    global _loaded
    if not _loaded:
        get_plugin_manager().hook.citybase_load_jobs()
        _loaded = True
    return REGISTRY


def periodic_jobs() -> list[PeriodicJob]:

    return [p for ps in get_plugin_manager().hook.citybase_periodic_jobs() for p in ps]


def enqueue(
    db_session: Session,
    name: str,
    args: dict[str, Any],
    *,
    run_at: dt.datetime | None = None,
    dedupe_key: str | None = None,
    owner_id: int | None = None,
) -> int:
    """Queue job ``name`` with ``args`` in the caller's transaction; return the job id.

    With ``dedupe_key``, a job with that key that already exists is returned instead.
    A rolled-back transaction queues nothing."""
    return enqueue_new(
        db_session, name, args, run_at=run_at, dedupe_key=dedupe_key, owner_id=owner_id
    )[0]


def enqueue_new(
    db_session: Session,
    name: str,
    args: dict[str, Any],
    *,
    run_at: dt.datetime | None = None,
    dedupe_key: str | None = None,
    owner_id: int | None = None,
) -> tuple[int, bool]:
    """``enqueue``, also saying whether this call queued the job (False: deduplicated)."""

    spec = registry().get(name)
    if spec is None:
        raise ConfigurationError(
            f"No job named {name!r}: register it with @citybase.jobs.job and import its "
            "module from your plug-in's citybase_load_jobs hook.",
            field="name",
        )
    try:
        payload = json.dumps(args, ensure_ascii=False, sort_keys=True)
    except TypeError as exc:
        raise ValidationFailed(f"args: job arguments must be JSON: {exc}", field="args") from None
    row = Job(
        name=name,
        queue=spec.queue,
        args=payload,
        max_attempts=spec.max_attempts,
        run_at=run_at or utcnow(),
        dedupe_key=dedupe_key,
        owner_id=owner_id,
        created_at=utcnow(),
    )
    if dedupe_key is not None:
        existing = db_session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return existing, False
        try:
            with db_session.begin_nested():
                db_session.add(row)
        except IntegrityError:  # another worker queued the same key just now
            found = db_session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key))
            assert found is not None
            return found, False
    else:
        db_session.add(row)
        db_session.flush()
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(
            text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": str(row.id)}
        )
    wake_after_commit(db_session, "jobs")
    return row.id, True


class JobContext:
    """What a running job gets as its first argument."""

    def __init__(
        self,
        *,
        job_id: int,
        name: str,
        attempt: int,
        worker: str,
        max_attempts: int = 1,
        owner_id: int | None,
        session_factory: sessionmaker[Session],
        min_interval: float = 0.5,
    ) -> None:
        self.job_id = job_id
        self.name = name
        self.attempt = attempt
        self.max_attempts = max_attempts
        self.worker = worker
        self.owner_id = owner_id
        self.session_factory = session_factory
        self._min_interval = min_interval
        self._last = 0.0

    def progress(self, done: int, total: int, message: str = "") -> None:
        """Record progress (persisted, and published as ``jobs.JobProgress``); raise
        ``JobCancelled`` if someone cancelled the job. Calls closer than 0.5 s apart are
        skipped, except the last one (done == total)."""
        now = time.monotonic()
        if done < total and now - self._last < self._min_interval:
            return
        self._last = now

        with self.session_factory() as s, s.begin():
            cancel = s.scalar(select(Job.cancel_requested).where(Job.id == self.job_id))
            s.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.worker == self.worker)
                .values(progress_done=done, progress_total=total, progress_message=message[:500])
            )
            publish(
                s,
                JobProgress(
                    job_id=self.job_id,
                    name=self.name,
                    status="running",
                    done=done,
                    total=total,
                    percent=min(100, round(100 * done / total)) if total > 0 else None,
                    message=message[:500],
                    audience_users=[self.owner_id] if self.owner_id else [],
                ),
            )
        if cancel:
            raise JobCancelled(self.job_id)

    @property
    def last_attempt(self) -> bool:
        """True when a failure now will not be retried."""
        return self.attempt >= self.max_attempts

    def cancelled(self) -> bool:
        """True once someone asked to cancel this job."""

        with self.session_factory() as s:
            return bool(s.scalar(select(Job.cancel_requested).where(Job.id == self.job_id)))

    def raise_if_cancelled(self) -> None:
        if self.cancelled():
            raise JobCancelled(self.job_id)
