"""Reading the outbox for one viewer (audience rules) and listing failed deliveries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.events import dispatch
from citybase.events.models import Delivery, OutboxEvent
from citybase.identity.enums import Role


@dataclass(frozen=True)
class Viewer:
    """Who is watching the stream: enough to apply the audience rules without a session."""

    user_id: int
    department_code: str | None
    admin: bool

    @classmethod
    def of(cls, user: Any) -> Viewer:
        return cls(
            user_id=user.id,
            department_code=user.department_code,
            admin=user.role == Role.platform_admin,
        )


def may_see(viewer: Viewer, row: OutboxEvent) -> bool:
    """Platform admins see every event; others the public ones, their department's and
    those addressed to their own user id."""
    if viewer.admin or row.public:
        return True
    if viewer.user_id in json.loads(row.audience_users):
        return True
    return viewer.department_code is not None and viewer.department_code in json.loads(
        row.audience_departments
    )


def last_id(db_session: Session) -> int:
    return int(db_session.scalar(select(func.max(OutboxEvent.id))) or 0)


def read_after(
    db_session: Session, *, viewer: Viewer, after: int, limit: int = 200
) -> tuple[int, list[dict[str, Any]]]:
    """Events with id > ``after`` the viewer may see, and the last id scanned."""
    rows = db_session.scalars(
        select(OutboxEvent).where(OutboxEvent.id > after).order_by(OutboxEvent.id).limit(limit)
    ).all()
    scanned = rows[-1].id if rows else after
    out = [
        {
            "id": r.id,
            "type": r.event_type,
            "version": r.version,
            "at": r.created_at.isoformat(),
            "data": json.loads(r.payload),
        }
        for r in rows
        if may_see(viewer, r)
    ]
    return scanned, out


def failures(db_session: Session, *, limit: int = 200) -> list[dict[str, Any]]:
    rows = db_session.execute(
        select(Delivery, OutboxEvent)
        .join(OutboxEvent, OutboxEvent.id == Delivery.outbox_id)
        .where(Delivery.status == "failed")
        .order_by(Delivery.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": d.id,
            "event_id": e.id,
            "event_type": e.event_type,
            "subscriber": d.subscriber,
            "attempts": d.attempts,
            "last_error": d.last_error,
            "created_at": d.created_at,
        }
        for d, e in rows
    ]


def retry_delivery(db_session: Session, *, delivery_id: int, actor: Any) -> Delivery:
    """Queue a failed delivery again, audited (``actor`` None: the CLI, i.e. the system).
    The one door for the API, the admin page and ``citybase events retry``."""

    row = dispatch.retry(db_session, delivery_id=delivery_id)
    audit_service.record(
        db_session,
        actor=actor,
        action="events.retry",
        object_type="event_delivery",
        object_id=str(row.id),
        detail={"subscriber": row.subscriber, "event_id": row.outbox_id},
    )
    return row
