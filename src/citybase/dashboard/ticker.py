"""The dashboard's own widgets, read from the platform's event outbox for the viewer: the
live ticker, events today, events per hour and events by type.

They look at the newest ``WINDOW`` events the viewer may see (events never carry personal
data in clear, docs/events.md, so their scalar fields can be shown as they are). On a busy
platform "today" may reach further back than the window: the count then says "at least".
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from citybase.events import service as events_service
from citybase.events.service import Viewer
from citybase.hookspecs import DashboardScope

WINDOW = 2000  # newest outbox rows looked at
SHOWN = 12


@dataclass
class _Held:
    last: int
    events: list[dict[str, Any]]


_LOCK = threading.Lock()
_HELD: OrderedDict[tuple[str, Viewer], _Held] = OrderedDict()
_VIEWERS_HELD = 256


def _recent(db_session: Session, scope: DashboardScope) -> tuple[list[dict[str, Any]], bool]:
    """The viewer's events among the newest WINDOW, and whether the window was full.

    Kept per viewer and database and read on incrementally: fifty screens of one viewer
    after an event cost one read of the new outbox rows, not fifty reads of the window.
    """
    viewer = Viewer.of(scope.user)
    key = (str(db_session.get_bind().engine.url), viewer)
    last = events_service.last_id(db_session)
    floor = max(0, last - WINDOW)
    with _LOCK:
        held = _HELD.get(key)
    if held is None or held.last > last or held.last < floor:
        held = _Held(floor, [])
    events = list(held.events)
    after = held.last
    while after < last:
        scanned, more = events_service.read_after(
            db_session, viewer=viewer, after=after, limit=WINDOW
        )
        events.extend(more)
        if scanned == after:  # nothing further committed yet
            break
        after = scanned
    events = [e for e in events if e["id"] > floor]
    with _LOCK:
        _HELD[key] = _Held(max(after, held.last), events)
        _HELD.move_to_end(key)
        while len(_HELD) > _VIEWERS_HELD:
            _HELD.popitem(last=False)
    return events, floor > 0


def _summary(data: dict[str, Any]) -> str:
    parts = []
    for name, value in data.items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            parts.append(f"{name}={value}")
        if len(parts) == 4:
            break
    return " · ".join(parts)


def live_events(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    events, _ = _recent(db_session, scope)
    items = [
        {"id": e["id"], "at": e["at"], "type": e["type"], "text": _summary(e["data"])}
        for e in reversed(events[-SHOWN:])
    ]
    return {"items": items}


def _at(event: dict[str, Any]) -> dt.datetime:
    at = dt.datetime.fromisoformat(event["at"])
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def events_today(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    events, full = _recent(db_session, scope)
    today = [e for e in events if _at(e) >= scope.day_start]
    at_least = full and len(today) == len(events)
    return {"value": len(today), "at_least": at_least}


def event_trend(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    """Events per hour over the last 24 hours (UTC hours shown in the city's clock by the
    page)."""
    events, _ = _recent(db_session, scope)
    top = scope.now.replace(minute=0, second=0, microsecond=0)
    hours = [top - dt.timedelta(hours=h) for h in range(23, -1, -1)]
    counts = Counter(_at(e).replace(minute=0, second=0, microsecond=0) for e in events)
    return {
        "x": [h.isoformat() for h in hours],
        "series": [{"name": "events", "values": [counts.get(h, 0) for h in hours]}],
    }


def event_types(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    events, _ = _recent(db_session, scope)
    counts = Counter(e["type"] for e in events if _at(e) >= scope.now - dt.timedelta(hours=24))
    return {"items": [{"name": t, "value": n} for t, n in counts.most_common(8)]}
