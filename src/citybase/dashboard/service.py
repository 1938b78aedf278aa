"""The dashboard's service: which layouts a viewer may open, their scope and their data.

Other domains do not call into the dashboard; they supply widgets through the
``citybase_dashboard_widgets`` hook. This module puts layouts, widgets and the viewer's
scope together for the API, the pages and the daily briefing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from citybase.dashboard.layouts import Layout, load_layouts
from citybase.dashboard.widgets import (
    EventMatch,
    ResultCache,
    all_widgets,
    may_see,
    run_widget,
)
from citybase.db import utcnow
from citybase.errors import NotFound, PermissionDenied, ValidationFailed
from citybase.events import service as events_service
from citybase.hookspecs import DashboardScope, DashboardWidget
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.settings import Settings


def layouts(settings: Settings) -> dict[str, Layout]:
    """Every layout, checked against the installed widgets (a bad one raises)."""
    return load_layouts(settings, all_widgets())


def _refuse_reason(user: User, layout: Layout) -> str | None:
    if user.role == Role.applicant:
        return "The dashboard is for city staff; applicants use their own service pages."
    if user.role == Role.platform_admin:
        return None
    if user.department_code is None:
        return "Your account belongs to no department, so no dashboard scope can be given."
    if layout.department is not None and layout.department != user.department_code:
        return (
            f"Layout '{layout.key}' is department {layout.department}'s screen; yours is "
            f"{user.department_code}. Open /dashboard for your own."
        )
    return None


def layouts_for(*, settings: Settings, user: User) -> list[Layout]:
    """The layouts ``user`` may open, in order."""
    return [lay for lay in layouts(settings).values() if _refuse_reason(user, lay) is None]


def open_layout(*, settings: Settings, user: User, key: str) -> Layout:
    found = layouts(settings).get(key)
    if found is None:
        names = ", ".join(lay.key for lay in layouts_for(settings=settings, user=user))
        raise NotFound(f"No dashboard layout '{key}'. Yours: {names or '(none)'}.", field="layout")
    reason = _refuse_reason(user, found)
    if reason is not None:
        raise PermissionDenied(reason, field="layout")
    return found


def city_day(settings: Settings, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The city's calendar day at ``now`` and the UTC instant it began."""
    tz = ZoneInfo(settings.worktime_timezone)
    today = now.astimezone(tz).date()
    start = dt.datetime.combine(today, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    return today, start


def scope_for(*, settings: Settings, user: User, layout: Layout, locale: str) -> DashboardScope:
    """City-wide for platform admins on a city layout; otherwise one department's records."""
    if layout.department is not None:
        department = layout.department
    elif user.role == Role.platform_admin:
        department = None
    else:
        department = user.department_code
    now = utcnow()
    today, day_start = city_day(settings, now)
    return DashboardScope(
        user=user,
        role=str(user.role),
        department_code=department,
        area_code=layout.area,
        locale=locale,
        today=today,
        now=now,
        day_start=day_start,
        layout=layout.key,
    )


def visible_widgets(layout: Layout, user: User) -> list[DashboardWidget]:
    return [w for w in layout.widgets() if may_see(w, str(user.role))]


def _pick(layout: Layout, user: User, keys: list[str] | None) -> list[DashboardWidget]:
    visible = visible_widgets(layout, user)
    if keys is None:
        return visible
    by_key = {w.key: w for w in visible}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise ValidationFailed(
            f"widgets: {', '.join(unknown)} not on layout '{layout.key}' for you; it shows "
            f"{', '.join(by_key) or '(nothing)'}.",
            field="widgets",
        )
    return [by_key[k] for k in keys]


def layout_data(
    *,
    db_session: Session,
    settings: Settings,
    user: User,
    layout: Layout,
    locale: str,
    keys: list[str] | None = None,
    cache: ResultCache | None = None,
) -> dict[str, Any]:
    """Every (or the named) widget's data for the viewer, and the event id it is current to.

    The id is read before the widgets, so an event committed while they compute is replayed
    by the stream (``?after=``) and refreshes its widgets again: never missed, at worst twice.
    """
    last = events_service.last_id(db_session)
    scope = scope_for(settings=settings, user=user, layout=layout, locale=locale)
    widgets: dict[str, dict[str, Any]] = {}
    for w in _pick(layout, user, keys):
        key = ResultCache.key(w, scope, last)
        found = cache.get(key) if cache is not None else None
        if found is None:
            found = run_widget(w, db_session, scope)
            if cache is not None and "error" not in found:
                cache.put(key, found)
        widgets[w.key] = found
    return {
        "layout": layout.key,
        "generated_at": scope.now.isoformat(),
        "today": scope.today.isoformat(),
        "department": scope.department_code,
        "area": scope.area_code,
        "last_event_id": last,
        "widgets": widgets,
    }


def widget_definition(widget: DashboardWidget, locale: str) -> dict[str, Any]:
    en = locale == "en"
    return {
        "key": widget.key,
        "kind": widget.shown_as,
        "title": widget.title_en if en else widget.title_zh,
        "unit": widget.unit_en if en else widget.unit_zh,
        "description": widget.description_en if en else widget.description_zh,
        "url": widget.url,
        "refresh_seconds": widget.refresh_seconds,
        "refresh_on": [EventMatch.parse(e, widget.key).as_json() for e in widget.refresh_on],
    }


def layout_definition(layout: Layout, user: User, locale: str) -> dict[str, Any]:
    """What the page needs to draw the layout: the grid, the placements and each widget."""
    visible = {w.key for w in visible_widgets(layout, user)}
    placements = [
        {
            "widget": p.widget.key,
            "x": p.x,
            "y": p.y,
            "w": p.w,
            "h": p.h,
            "layers": [lay.key for lay in p.layers if lay.key in visible],
        }
        for p in layout.placements
        if p.widget.key in visible
    ]
    return {
        "key": layout.key,
        "title": layout.title(locale),
        "columns": layout.columns,
        "rows": layout.rows,
        "carousel_seconds": layout.carousel_seconds,
        "area": layout.area,
        "department": layout.department,
        "placements": placements,
        "widgets": {
            w.key: widget_definition(w, locale) for w in layout.widgets() if w.key in visible
        },
    }
