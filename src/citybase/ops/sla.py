"""A case's time limit (处置时限): per category, from dispatch to handled, on the calendar.

Kept on the case row as a ``citybase.worktime.Deadline`` (docs/worktime.md): started when
the case is dispatched (again on reassignment and reopening), paused while suspended (挂起),
extended by an approved extension (延期), and judged when the case is handled.
"""

from __future__ import annotations

import datetime as dt
import logging

from citybase.ops.models import OpsCase
from citybase.ops.taxonomy import Category
from citybase.settings import Settings
from citybase.worktime import CalendarNotCovered, Deadline, DeadlineState, clock_for
from citybase.worktime.clock import Unit

log = logging.getLogger(__name__)
US = dt.timedelta(microseconds=1)


def deadline_of(case: OpsCase, settings: Settings) -> Deadline | None:
    if case.sla_unit is None or case.sla_started_at is None:
        return None
    return Deadline(
        unit=Unit(case.sla_unit),
        amount=case.sla_amount or 0.0,
        started_at=case.sla_started_at,
        allowed=dt.timedelta(microseconds=case.sla_allowed_us or 0),
        paused=dt.timedelta(microseconds=case.sla_paused_us or 0),
        paused_at=case.sla_paused_at,
        warn_share=settings.worktime_warning_share,
    )


def city_day(settings: Settings, at: dt.datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(clock_for(settings).tz).date().isoformat()


def _store(case: OpsCase, deadline: Deadline | None, settings: Settings) -> None:
    clock = clock_for(settings)
    case.sla_unit = deadline.unit.value if deadline else None
    case.sla_amount = deadline.amount if deadline else None
    case.sla_started_at = deadline.started_at if deadline else None
    case.sla_allowed_us = deadline.allowed // US if deadline else None
    case.sla_paused_us = deadline.paused // US if deadline else None
    case.sla_paused_at = deadline.paused_at if deadline else None
    case.due_at = deadline.due_at(clock) if deadline else None
    case.warn_at = deadline.warn_at(clock) if deadline else None
    case.due_day = city_day(settings, case.due_at)


def _guarded(case: OpsCase, settings: Settings, make: object) -> None:
    """Run a deadline change; a year the calendar does not cover leaves no deadline (the
    case's work must not stop), with the calendar's message kept on the case."""
    try:
        deadline = make() if callable(make) else None
        _store(case, deadline, settings)
        case.sla_error = ""
    except CalendarNotCovered as exc:
        log.warning("no time limit for ops case %s: %s", case.id, exc.message)
        _store(case, None, settings)
        case.sla_error = exc.message


def start(case: OpsCase, category: Category, settings: Settings, at: dt.datetime) -> None:
    clock = clock_for(settings)
    _guarded(
        case, settings,
        lambda: Deadline.start(
            clock, at=at, amount=category.limit_amount, unit=category.limit_unit,
            warn_share=settings.worktime_warning_share,
        ),
    )  # fmt: skip


def pause(case: OpsCase, settings: Settings, at: dt.datetime) -> None:
    current = deadline_of(case, settings)
    if current is not None and current.paused_at is None:
        _guarded(case, settings, lambda: current.pause(at=at))


def resume(case: OpsCase, settings: Settings, at: dt.datetime) -> None:
    current = deadline_of(case, settings)
    if current is not None and current.paused_at is not None:
        _guarded(case, settings, lambda: current.resume(clock_for(settings), at=at))


def extend(case: OpsCase, settings: Settings, hours: float) -> None:
    """延期 by ``hours`` working hours (or, for a limit in working days, whole days)."""
    current = deadline_of(case, settings)
    if current is None:
        return
    clock = clock_for(settings)
    if current.unit is Unit.working_days:
        days = max(1, round(hours / 8))
        _guarded(case, settings, lambda: current.extend(clock, amount=days))
    else:
        _guarded(
            case, settings, lambda: current.extend(clock, amount=hours, unit=Unit.working_hours)
        )


def judge(case: OpsCase, settings: Settings, at: dt.datetime) -> None:
    """At 处置反馈: working hours used (pauses excluded) and whether it was on time."""
    current = deadline_of(case, settings)
    if current is None:
        case.handling_hours, case.on_time = None, None
        return
    clock = clock_for(settings)
    try:
        used = clock.measure(current.started_at, at, working=True)
        paused = current.paused if current.unit.working else dt.timedelta(0)
        case.handling_hours = round(max(used - paused, dt.timedelta(0)) / dt.timedelta(hours=1), 4)
        case.on_time = at <= current.due_at(clock)
    except CalendarNotCovered as exc:
        case.sla_error = exc.message


def state(case: OpsCase, settings: Settings, now: dt.datetime) -> DeadlineState | None:
    current = deadline_of(case, settings)
    if current is None:
        return None
    try:
        return current.state(clock_for(settings), now=now)
    except CalendarNotCovered:
        return None
