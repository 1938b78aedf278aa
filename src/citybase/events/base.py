"""The event contract: ``DomainEvent``, ``Subscriber`` and ``publish``.

``publish`` writes one outbox row and one delivery row per interested subscriber inside the
caller's transaction, so a rolled-back transaction publishes nothing. After the commit the
local dispatcher is woken (in-process) and, on PostgreSQL, ``NOTIFY citybase_events`` (sent
by the same transaction, delivered by PostgreSQL only on commit) wakes every other process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import pydantic
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.orm import Session

from citybase.db import utcnow
from citybase.errors import ConfigurationError
from citybase.events.models import Delivery, OutboxEvent
from citybase.events.wake import wake
from citybase.plugins import get_plugin_manager

NOTIFY_CHANNEL = "citybase_events"
_WAKE_KEY = "citybase_wake"
AUDIENCE_FIELDS = frozenset({"audience_departments", "audience_users", "public"})


class DomainEvent(pydantic.BaseModel):
    """Base of every domain event. Subclasses set ``event_type`` ("domain.Name") and
    ``version``, and add their own (JSON-able) fields. Never put personal data in clear in an
    event: it is stored in the outbox and shown on the live stream to its audience."""

    model_config = pydantic.ConfigDict(frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    # who may see it on the live stream: department codes, user ids, or everyone signed in
    audience_departments: list[str] = []
    audience_users: list[int] = []
    public: bool = False  # every signed-in user may see it

    def payload(self) -> dict[str, Any]:
        """The event's own fields (without the audience), as JSON-able values."""
        return self.model_dump(mode="json", exclude=set(AUDIENCE_FIELDS))


@dataclass(frozen=True)
class Subscriber:
    """A named reaction to some event types. ``name`` must be stable: delivery rows are kept
    per (event, subscriber name), which is what makes delivery idempotent. ``handle`` runs in
    the dispatcher's transaction; whatever it writes commits together with the "done" mark."""

    name: str
    event_types: tuple[str, ...]  # "*" matches every type
    handle: Callable[[Session, DomainEvent], None]


def event_types() -> dict[str, type[DomainEvent]]:
    """Every registered event class by ``event_type`` (from ``citybase_event_types``)."""

    out: dict[str, type[DomainEvent]] = {}
    for classes in get_plugin_manager().hook.citybase_event_types():
        for cls in classes:
            known = out.get(cls.event_type)
            if known is not None and known is not cls:
                raise ConfigurationError(
                    f"Two event classes claim event_type {cls.event_type!r}: "
                    f"{known.__module__}.{known.__name__} and {cls.__module__}.{cls.__name__}.",
                    field="event_type",
                )
            out[cls.event_type] = cls
    return out


def subscribers() -> dict[str, Subscriber]:
    """Every registered subscriber by name (from ``citybase_event_subscribers``)."""

    out: dict[str, Subscriber] = {}
    for subs in get_plugin_manager().hook.citybase_event_subscribers():
        for sub in subs:
            if sub.name in out and out[sub.name] is not sub:
                raise ConfigurationError(
                    f"Two event subscribers are named {sub.name!r}; names must be unique.",
                    field="name",
                )
            out[sub.name] = sub
    return out


def subscribers_for(event_type: str) -> list[Subscriber]:
    return [
        s for s in subscribers().values() if event_type in s.event_types or "*" in s.event_types
    ]


def publish(db_session: Session, event: DomainEvent) -> int:
    """Write ``event`` to the outbox in the caller's transaction; return the outbox id."""

    cls = type(event)
    etype = getattr(cls, "event_type", None)
    if not etype:
        raise ConfigurationError(f"{cls.__name__} has no event_type.", field="event_type")
    if event_types().get(etype) is not cls:
        raise ConfigurationError(
            f"Event type {etype!r} is not registered: return {cls.__name__} from your "
            "plug-in's citybase_event_types hook.",
            field="event_type",
        )
    now = utcnow()
    row = OutboxEvent(
        event_type=etype,
        version=cls.version,
        payload=json.dumps(event.payload(), ensure_ascii=False, sort_keys=True),
        audience_departments=json.dumps(sorted(set(event.audience_departments))),
        audience_users=json.dumps(sorted(set(event.audience_users))),
        public=event.public,
        created_at=now,
    )
    db_session.add(row)
    db_session.flush()
    for sub in subscribers_for(etype):
        db_session.add(
            Delivery(outbox_id=row.id, subscriber=sub.name, next_attempt_at=now, created_at=now)
        )
    db_session.flush()
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(
            text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": str(row.id)}
        )
    db_session.info.setdefault(_WAKE_KEY, set()).add("events")
    return row.id


def wake_after_commit(db_session: Session, topic: str) -> None:
    """Wake this process's dispatcher/streams/workers for ``topic`` once the transaction commits."""
    db_session.info.setdefault(_WAKE_KEY, set()).add(topic)


def decode(event_type: str, payload: str, audience: dict[str, Any]) -> DomainEvent:
    """Rebuild an event from its outbox row (raises ConfigurationError for unknown types)."""
    cls = event_types().get(event_type)
    if cls is None:
        raise ConfigurationError(f"Event type {event_type!r} is no longer registered.")
    return cls.model_validate({**json.loads(payload), **audience})


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    topics = session.info.pop(_WAKE_KEY, None)
    if topics:
        for topic in topics:
            wake(topic)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_WAKE_KEY, None)
