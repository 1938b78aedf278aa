"""The job queue on both backends: enqueue in the caller's transaction, retries with
backoff, permanent failures, cancellation, periodic jobs, lease expiry, progress events."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
from sqlalchemy import select

from citybase.db import utcnow
from citybase.events.models import OutboxEvent
from citybase.jobs import JobContext, JobFailed, PeriodicJob, enqueue, job
from citybase.jobs import service as jobs_service
from citybase.jobs.base import periodic_jobs
from citybase.jobs.models import Job
from citybase.jobs.runtime import drain
from citybase.jobs.worker import claim, run_one, schedule_periodic
from tests.events.helpers import LiveDb, Recorder

CALLS: list[dict[str, Any]] = []
FAILURES = {"left": 0}
GATE = {"started": threading.Event(), "go": threading.Event()}


@job("test.add", max_attempts=3)
def add(ctx: JobContext, *, a: int, b: int) -> dict[str, Any]:
    ctx.progress(1, 2, "half way")
    CALLS.append({"job": ctx.job_id, "attempt": ctx.attempt})
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError("the tax office API timed out")
    ctx.progress(2, 2, "done")
    return {"sum": a + b}


@job("test.bad_input", max_attempts=5)
def bad_input(ctx: JobContext) -> None:
    raise JobFailed("column 年龄: 'abc' is not a number", result={"row": 3})


@job("test.slow", max_attempts=1)
def slow(ctx: JobContext) -> str:
    GATE["started"].set()
    assert GATE["go"].wait(10)
    for i in range(10):
        ctx.progress(i, 10, f"step {i}")
        ctx._last = 0.0  # report every step in this test
    return "finished"


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    FAILURES["left"] = 0
    GATE["started"].clear()
    GATE["go"].clear()


def _job(db: LiveDb, job_id: int) -> Job:
    with db.sf() as s:
        row = s.get(Job, job_id)
        assert row is not None
        return row


def test_enqueue_in_a_rolled_back_transaction_queues_nothing(db: LiveDb) -> None:
    with db.sf() as s:
        enqueue(s, "test.add", {"a": 1, "b": 2})
        s.rollback()
    assert drain(db.sf, settings=db.settings)["jobs"] == 0
    assert CALLS == []


def test_job_runs_and_reports_progress_as_events(db: LiveDb) -> None:
    with db.sf() as s:
        job_id = enqueue(s, "test.add", {"a": 20, "b": 22})
        s.commit()
    assert drain(db.sf, settings=db.settings)["jobs"] == 1
    row = _job(db, job_id)
    assert (row.status, json.loads(row.result or "null"), row.percent) == (
        "succeeded",
        {"sum": 42},
        100,
    )
    with db.sf() as s:
        events = s.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "jobs.JobProgress")
        ).all()
        seen = [(json.loads(e.payload)["status"], json.loads(e.payload)["percent"]) for e in events]
    assert seen[0] == ("running", None)  # claimed
    assert ("running", 50) in seen
    assert seen[-1] == ("succeeded", 100)


def test_failures_are_retried_with_backoff_then_failed(db: LiveDb) -> None:
    FAILURES["left"] = 10
    with db.sf() as s:
        job_id = enqueue(s, "test.add", {"a": 1, "b": 1})
        s.commit()
    now = utcnow()
    assert run_one(db.sf, worker="w1", lease_seconds=60, now=now)
    row = _job(db, job_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "tax office API timed out" in row.error
    delay1 = row.run_at - utcnow()
    assert dt.timedelta(seconds=5) < delay1 <= dt.timedelta(seconds=10)
    assert not run_one(db.sf, worker="w1", lease_seconds=60, now=now)  # not due yet
    assert run_one(db.sf, worker="w1", lease_seconds=60, now=now + dt.timedelta(hours=1))
    row = _job(db, job_id)
    assert row.attempts == 2 and row.run_at - utcnow() > delay1  # the delay doubled
    assert run_one(db.sf, worker="w1", lease_seconds=60, now=now + dt.timedelta(hours=2))
    row = _job(db, job_id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert [c["attempt"] for c in CALLS] == [1, 2, 3]


def test_a_job_failed_for_its_input_is_not_retried(db: LiveDb) -> None:
    with db.sf() as s:
        job_id = enqueue(s, "test.bad_input", {})
        s.commit()
    drain(db.sf, settings=db.settings, now=utcnow() + dt.timedelta(days=1))
    row = _job(db, job_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.error == "column 年龄: 'abc' is not a number"
    assert json.loads(row.result or "null") == {"row": 3}


def test_cancel_a_queued_job_and_a_running_one(db: LiveDb) -> None:
    with db.sf() as s:
        queued = enqueue(s, "test.add", {"a": 1, "b": 2})
        running = enqueue(s, "test.slow", {}, run_at=utcnow() - dt.timedelta(seconds=1))
        s.commit()
    with db.sf() as s:
        assert jobs_service.cancel(db_session=s, job_id=queued, user=None).status == "cancelled"
        s.commit()
    t = threading.Thread(
        target=run_one, kwargs={"session_factory": db.sf, "worker": "w", "lease_seconds": 60}
    )
    t.start()
    assert GATE["started"].wait(10)
    with db.sf() as s:
        row = jobs_service.cancel(db_session=s, job_id=running, user=None)
        assert (row.status, row.cancel_requested) == ("running", True)
        s.commit()
    GATE["go"].set()
    t.join(20)
    assert _job(db, running).status == "cancelled"
    assert _job(db, running).progress_done == 0  # stopped at its first report
    assert _job(db, queued).status == "cancelled" and CALLS == []
    with db.sf() as s, pytest.raises(Exception, match="already cancelled"):
        jobs_service.cancel(db_session=s, job_id=queued, user=None)


def test_periodic_jobs_are_queued_once_per_interval_by_many_workers(
    db: LiveDb, recorder: Recorder
) -> None:
    recorder.plugin.periodic.append(  # type: ignore[attr-defined]
        PeriodicJob("test.add", dt.timedelta(minutes=10), {"a": 2, "b": 3})
    )
    at = dt.datetime(2026, 12, 8, 1, 0, 30, tzinfo=dt.UTC)
    barrier = threading.Barrier(3)
    counts: list[int] = []

    def worker() -> None:
        barrier.wait()
        counts.append(schedule_periodic(db.sf, now=at))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # all answered, and together they queued each periodic job (other domains' too) once
    assert len(counts) == 3 and sum(counts) == len(periodic_jobs())
    with db.sf() as s:
        rows = s.scalars(select(Job).where(Job.name == "test.add")).all()
    assert len(rows) == 1 and rows[0].dedupe_key is not None
    schedule_periodic(db.sf, now=at + dt.timedelta(minutes=5))  # same slot
    schedule_periodic(db.sf, now=at + dt.timedelta(minutes=10))  # the next one
    with db.sf() as s:
        assert len(s.scalars(select(Job).where(Job.name == "test.add")).all()) == 2


def test_a_stuck_job_is_queued_again_after_its_lease(db: LiveDb) -> None:
    with db.sf() as s:
        job_id = enqueue(s, "test.add", {"a": 5, "b": 5})
        s.commit()
    now = utcnow()
    claimed = claim(db.sf, worker="killed-worker", lease_seconds=30, now=now)
    assert claimed and not isinstance(claimed, bool) and claimed.id == job_id
    # the worker was killed: nothing runs while the lease holds
    assert not run_one(db.sf, worker="w2", lease_seconds=30, now=now + dt.timedelta(seconds=10))
    assert run_one(db.sf, worker="w2", lease_seconds=30, now=now + dt.timedelta(seconds=31))
    row = _job(db, job_id)
    assert (row.status, row.attempts, row.worker) == ("succeeded", 2, "w2")
    assert json.loads(row.result or "null") == {"sum": 10}


def test_a_stuck_job_out_of_attempts_is_failed(db: LiveDb) -> None:
    with db.sf() as s:
        job_id = enqueue(s, "test.slow", {})
        s.commit()
    now = utcnow()
    assert claim(db.sf, worker="killed", lease_seconds=30, now=now)
    assert not run_one(db.sf, worker="w2", lease_seconds=30, now=now + dt.timedelta(minutes=1))
    row = _job(db, job_id)
    assert row.status == "failed" and "lease expired" in row.error
