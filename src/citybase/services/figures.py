"""What the services domain measures about itself: today's figures for the dashboard and
live indicators for the BTE assessment (零跑动, 秒批, 免提交率, on time, days, satisfaction)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.db import utcnow
from citybase.hookspecs import LiveIndicator
from citybase.services.models import ServiceApplication
from citybase.services.ruletests import library
from citybase.settings import Settings
from citybase.worktime import CalendarNotCovered, clock_for


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def today_figures(db_session: Session, department: str | None = None) -> dict[str, Any]:
    """Today's (UTC date) submitted applications, and the shares decided instantly (秒批)
    and needing no trip to an office (零跑动: a fully online item, nothing asked at a counter)."""
    start = dt.datetime.combine(utcnow().date(), dt.time(0), tzinfo=dt.UTC)
    stmt = select(ServiceApplication).where(ServiceApplication.submitted_at >= start)
    if department:
        stmt = stmt.where(ServiceApplication.department_code == department)
    apps = list(db_session.scalars(stmt))
    catalogue = library(None).catalogue
    zero = sum(
        1
        for a in apps
        if a.item_code in catalogue.by_code and catalogue.by_code[a.item_code].visits == 0
    )
    instant = sum(1 for a in apps if a.instant)
    return {
        "date": start.date().isoformat(),
        "department": department,
        "applications": len(apps),
        "instant_share": _share(instant, len(apps)),
        "zero_trip_share": _share(zero, len(apps)),
        "once_only_share": _share(
            sum(a.needed - a.asked for a in apps), sum(a.needed for a in apps)
        ),
    }


def _ind(indicator_id: str, value: float, unit: str, source: str, note: str) -> LiveIndicator:
    return LiveIndicator(
        indicator_id=indicator_id,
        value=value,
        unit=unit,
        source=source,
        measured_at=utcnow().isoformat(timespec="seconds"),
        note=note,
    )


def live_indicators(
    *, db_session: Session, settings: Settings | None = None
) -> list[LiveIndicator]:
    """Catalogue shares always; application shares once there are applications."""
    lib = library(settings)
    items = lib.catalogue.items
    out: list[LiveIndicator] = []
    online = sum(1 for i in items if i.online_depth == "full_online")
    out.append(
        _ind(
            "services_online_share",
            round(100.0 * online / len(items), 2),
            "%",
            "services catalogue: online_depth",
            f"{online} of {len(items)} items 全程网办",
        )
    )
    zero = sum(1 for i in items if i.visits == 0)
    out.append(
        _ind(
            "services_zero_trip_share",
            round(100.0 * zero / len(items), 2),
            "%",
            "services catalogue: visits",
            f"{zero} of {len(items)} items need no visit",
        )
    )
    needed = sum(sum(1 for m in i.materials if m.required) for i in items)
    held = sum(sum(1 for m in i.materials if m.required and m.held) for i in items)
    out.append(
        _ind(
            "services_once_only_share",
            _share(held, needed) or 0.0,
            "%",
            "services catalogue: materials",
            f"{held} of {needed} materials 免于提交",
        )
    )
    from citybase.services.bundles import load_bundles

    out.append(
        _ind(
            "one_thing_bundles",
            float(len(load_bundles(settings))),
            "count",
            "services bundles.yaml",
            "一件事 bundles in operation",
        )
    )
    done = list(
        db_session.scalars(
            select(ServiceApplication).where(ServiceApplication.finished_at.is_not(None))
        )
    )
    decided = [a for a in done if a.decision is not None]
    if decided:
        instant = sum(1 for a in decided if a.instant and a.decision == "approved")
        out.append(
            _ind(
                "instant_approval_share",
                _share(instant, len(decided)) or 0.0,
                "%",
                "services applications",
                f"{instant} of {len(decided)} approved by rules",
            )
        )
    timed = [a for a in done if a.due_at is not None and a.status == "delivered"]
    if timed:
        on_time = sum(1 for a in timed if a.finished_at and a.due_at and a.finished_at <= a.due_at)
        out.append(
            _ind(
                "services_on_time_share",
                _share(on_time, len(timed)) or 0.0,
                "%",
                "services applications",
                f"{on_time} of {len(timed)} within the promise",
            )
        )
    days = _working_days(done, settings)
    if days is not None:
        out.append(
            _ind(
                "services_average_working_days",
                days,
                "working days",
                "services applications",
                "submitted → finished, working-time calendar",
            )
        )
    rated = db_session.execute(
        select(func.count(), func.avg(ServiceApplication.rating)).where(
            ServiceApplication.rating.is_not(None)
        )
    ).one()
    if rated[0]:
        score = round(float(rated[1]) * 20, 2)  # 1–5 stars → 20–100 points
        out.append(
            _ind(
                "online_service_satisfaction",
                score,
                "score",
                "services 好差评",
                f"{rated[0]} ratings, average {float(rated[1]):.2f} of 5",
            )
        )
    return out


def _working_days(apps: list[ServiceApplication], settings: Settings | None) -> float | None:
    clock = clock_for(settings)
    spans: list[float] = []
    for a in apps:
        if a.submitted_at is None or a.finished_at is None:
            continue
        try:
            spans.append(clock.working_days_between(a.submitted_at, a.finished_at))
        except CalendarNotCovered:
            continue
    return round(sum(spans) / len(spans), 3) if spans else None
