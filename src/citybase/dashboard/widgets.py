"""The widget registry: every ``citybase_dashboard_widgets`` implementation, checked.

Widgets come from the domains (and third-party plug-ins) through the hook; nothing here
knows any domain. A widget's data function runs with the viewer's scope; one that raises
or returns the wrong shape spoils only its own tile (the error is logged and shown on the
tile), never the screen.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from citybase.errors import CitybaseError, ConfigurationError
from citybase.hookspecs import WIDGET_KINDS, DashboardScope, DashboardWidget
from citybase.identity.enums import Role
from citybase.plugins import get_plugin_manager

log = logging.getLogger("citybase.dashboard")

#: Keys each kind's data must hold (docs/dashboard.md describes the full shapes).
REQUIRED: dict[str, tuple[str, ...]] = {
    "number": ("value",),
    "trend": ("x", "series"),
    "bar": ("items",),
    "map": ("geojson",),
    "map_layer": (),  # "points" and/or "heat"
    "ticker": ("items",),
    "triangle": ("b", "t", "e"),
    "figures": (),  # the original render(session) form: a dict of named figures
}
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class EventMatch:
    """One ``refresh_on`` entry: an event type and optional ``field=value`` conditions on
    the event's data (``workflow.Transitioned:workflow=sharing_request``)."""

    event_type: str  # "*": every event the viewer may see
    where: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str, widget: str) -> EventMatch:
        event_type, _, rest = text.partition(":")
        where: list[tuple[str, str]] = []
        for cond in filter(None, rest.split(",")):
            name, eq, value = cond.partition("=")
            if not eq or not name.strip():
                raise ConfigurationError(
                    f"dashboard widget {widget!r}: refresh_on entry {text!r} — write conditions "
                    "as 'event.Type:field=value,other=value'.",
                    field="refresh_on",
                )
            where.append((name.strip(), value.strip()))
        if event_type != "*" and "." not in event_type:
            raise ConfigurationError(
                f"dashboard widget {widget!r}: refresh_on entry {text!r} is not an event type "
                "of the form 'domain.Name'.",
                field="refresh_on",
            )
        return cls(event_type.strip(), tuple(where))

    def as_json(self) -> dict[str, Any]:
        return {"type": self.event_type, "where": dict(self.where)}


def check_widget(widget: DashboardWidget) -> None:
    where = f"dashboard widget {widget.key!r}"
    if not KEY_PATTERN.match(widget.key or ""):
        raise ConfigurationError(
            f"{where}: write the key as '<domain>.<name>' (e.g. 'sharing.grants_today'): "
            "letters, digits, '.', '_' and '-'.",
            field="key",
        )
    if widget.kind not in WIDGET_KINDS:
        raise ConfigurationError(
            f"{where}: kind {widget.kind!r} is unknown; use one of {', '.join(WIDGET_KINDS)}.",
            field="kind",
        )
    if widget.data is None and widget.render is None:
        raise ConfigurationError(f"{where}: give a data(session, scope) function.", field="data")
    for entry in widget.refresh_on:
        EventMatch.parse(entry, widget.key)


def all_widgets() -> dict[str, DashboardWidget]:
    """Every installed widget by key; two plug-ins offering one key is a start-up error."""
    found: dict[str, DashboardWidget] = {}
    for batch in get_plugin_manager().hook.citybase_dashboard_widgets():
        for widget in batch or []:
            check_widget(widget)
            if widget.key in found:
                raise ConfigurationError(
                    f"dashboard widget {widget.key!r} is offered by two plug-ins; rename one.",
                    field="key",
                )
            found[widget.key] = widget
    return found


def may_see(widget: DashboardWidget, role: str) -> bool:
    return not widget.roles or role in widget.roles or role == Role.platform_admin


def _json_number(value: Any) -> bool:
    return value is None or (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    )


def check_data(widget: DashboardWidget, data: Any) -> str | None:
    """Why ``data`` does not fit the widget's kind, or None when it does."""
    if not isinstance(data, dict):
        return f"returned {type(data).__name__}, not an object"
    kind = widget.shown_as
    missing = [k for k in REQUIRED[kind] if k not in data]
    if missing:
        return f"kind {kind} needs {', '.join(missing)}"
    if kind == "number" and not _json_number(data["value"]):
        return "value must be a finite number or null"
    if kind in ("bar", "ticker") and not isinstance(data["items"], list):
        return "items must be a list"
    if kind == "trend" and not isinstance(data["series"], list):
        return "series must be a list"
    return None


class ResultCache:
    """Widget results shared by viewers of the same scope for a moment.

    Fifty screens refetching a widget after one event cost one computation: a result is
    keyed by the widget, the scope's role, department, area and locale (and the user for
    ``per_user`` widgets) and the last event id, and kept ``ttl`` seconds — so an event
    always gives fresh data, and figures no event announces are at most ``ttl`` old.
    """

    def __init__(self, ttl: float = 2.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(widget: DashboardWidget, scope: DashboardScope, last_event_id: int) -> tuple[Any, ...]:
        user = getattr(scope.user, "id", None) if widget.per_user else None
        return (
            widget.key,
            scope.role,
            scope.department_code,
            scope.area_code,
            scope.locale,
            user,
            last_event_id,
            scope.today,
        )

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] < time.monotonic():
                return None
            return found[1]

    def put(self, key: tuple[Any, ...], result: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + self.ttl, result)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def run_widget(
    widget: DashboardWidget, db_session: Session, scope: DashboardScope
) -> dict[str, Any]:
    """``{"data": …}`` or ``{"error": …}`` for one widget, with its time in milliseconds."""
    started = time.perf_counter()
    try:
        data = widget.compute(db_session, scope)
        problem = check_data(widget, data)
        if problem is not None:
            log.error("dashboard widget %s: %s", widget.key, problem)
            out: dict[str, Any] = {"error": f"{widget.key}: {problem}"}
        else:
            out = {"data": data}
    except CitybaseError as exc:
        out = {"error": exc.message}
    except Exception:
        log.exception("dashboard widget %s failed", widget.key)
        db_session.rollback()  # a failed statement must not poison the next widget's reads
        out = {"error": f"{widget.key}: the widget's data could not be computed (see the log)"}
    out["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return out
