"""Delivering events to subscribers.

Up to 20 due deliveries are claimed and run per transaction: on PostgreSQL with ``FOR UPDATE SKIP
LOCKED`` (so several dispatchers in several processes never run the same delivery twice; the
row lock dies with a killed process, so nothing needs a lease), on SQLite with an ``UPDATE``
first (it takes the write lock, so a second process waits instead of double-running). Each
handler runs in a SAVEPOINT: its writes and the "done" mark commit together; on an error they
roll back and the attempt, the error and the next try (exponential backoff) are recorded.
A handler must not commit or roll back the session it is given.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback

from sqlalchemy import Select, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from citybase.db import utcnow
from citybase.errors import Conflict, NotFound
from citybase.events.base import decode, subscribers, wake_after_commit
from citybase.events.models import Delivery, OutboxEvent

log = logging.getLogger("citybase.events")

BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 3600.0


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failed ones: 2 s, 4 s, 8 s … ≤ 1 h."""
    return dt.timedelta(seconds=min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_CAP_S))


BATCH = 20


def _due(now: dt.datetime, limit: int = 1) -> Select[int]:
    return (
        select(Delivery.id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.id)
        .limit(limit)
    )


def _claim(db_session: Session, now: dt.datetime, batch: int) -> list[Delivery]:
    due = _due(now, batch)
    if db_session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    else:
        # SQLite: a write first takes the database's write lock for this transaction (a
        # read that later upgrades to a write can fail at once with "database is locked").
        db_session.execute(text("UPDATE events_delivery SET attempts = attempts WHERE 0"))
    ids = list(db_session.scalars(due).all())
    if not ids:
        return []
    return list(
        db_session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id))
    )


def _run(db_session: Session, row: Delivery, now: dt.datetime, max_attempts: int) -> None:
    outbox = db_session.get(OutboxEvent, row.outbox_id)
    assert outbox is not None  # FK
    row.attempts += 1
    try:
        sub = subscribers().get(row.subscriber)
        if sub is None:
            raise LookupError(f"subscriber {row.subscriber!r} is no longer installed")
        event = decode(
            outbox.event_type,
            outbox.payload,
            {
                "audience_departments": json.loads(outbox.audience_departments),
                "audience_users": json.loads(outbox.audience_users),
                "public": outbox.public,
            },
        )
        with db_session.begin_nested():
            sub.handle(db_session, event)
    except Exception as exc:
        log.warning("event %s to %s failed: %s", outbox.id, row.subscriber, exc)
        row.last_error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
        if row.attempts >= max_attempts:
            row.status = "failed"
        else:
            row.next_attempt_at = now + backoff(row.attempts)
    else:
        row.status = "done"
        row.done_at = now


def deliver_batch(
    session_factory: sessionmaker[Session],
    *,
    max_attempts: int,
    now: dt.datetime | None = None,
    batch: int = BATCH,
) -> int:
    """Claim up to ``batch`` due deliveries and run them in one transaction, each handler in
    a SAVEPOINT of its own. Return how many were attempted (0: none was due)."""
    now = now or utcnow()
    with session_factory() as peek:  # a short read first: no write lock while idle
        if peek.scalar(_due(now)) is None:
            return 0
    with session_factory() as db_session, db_session.begin():
        rows = _claim(db_session, now, batch)
        for row in rows:
            _run(db_session, row, now, max_attempts)
    return len(rows)


def deliver_one(
    session_factory: sessionmaker[Session], *, max_attempts: int, now: dt.datetime | None = None
) -> bool:
    """Claim and run one due delivery. Return False when none was due."""
    return deliver_batch(session_factory, max_attempts=max_attempts, now=now, batch=1) > 0


def deliver_due(
    session_factory: sessionmaker[Session],
    *,
    max_attempts: int,
    now: dt.datetime | None = None,
    limit: int = 10_000,
) -> int:
    """Run every delivery due at ``now``; return how many were attempted."""
    n = 0
    while n < limit:
        done = deliver_batch(session_factory, max_attempts=max_attempts, now=now)
        if done == 0:
            break
        n += done
    return n


def retry(db_session: Session, *, delivery_id: int) -> Delivery:
    """Put a failed delivery back in the queue now (admin action; the caller audits)."""

    row = db_session.get(Delivery, delivery_id)
    if row is None:
        raise NotFound(f"No event delivery #{delivery_id}.", field="id")
    if row.status != "failed":
        raise Conflict(
            f"Delivery #{delivery_id} is {row.status}, not failed: only failed ones are retried.",
            field="id",
        )
    db_session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status="pending", attempts=0, next_attempt_at=utcnow())
    )
    db_session.refresh(row)

    wake_after_commit(db_session, "events")
    return row
