"""The working-time calendar (工作日历): holidays, make-up days, working hours, deadlines.

``from citybase.worktime import clock_for, Unit`` — see docs/worktime.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citybase.worktime.calendar import CalendarNotCovered, WorkCalendar, load_calendar
    from citybase.worktime.clock import Unit, WorkClock, clock_for
    from citybase.worktime.deadline import Deadline, DeadlineState, DeadlineStatus
    from citybase.worktime.hours import WorkingHours, parse_hours

# Imported on first use (PEP 562): loading the plug-in (``<pkg>.plugin``) must not pull in
# SQLAlchemy or pydantic, which the CLI's start-up would pay for on every command.
_WHERE = {
    "CalendarNotCovered": "citybase.worktime.calendar",
    "Deadline": "citybase.worktime.deadline",
    "DeadlineState": "citybase.worktime.deadline",
    "DeadlineStatus": "citybase.worktime.deadline",
    "Unit": "citybase.worktime.clock",
    "WorkCalendar": "citybase.worktime.calendar",
    "WorkClock": "citybase.worktime.clock",
    "WorkingHours": "citybase.worktime.hours",
    "clock_for": "citybase.worktime.clock",
    "load_calendar": "citybase.worktime.calendar",
    "parse_hours": "citybase.worktime.hours",
}

__all__ = [
    "CalendarNotCovered",
    "Deadline",
    "DeadlineState",
    "DeadlineStatus",
    "Unit",
    "WorkCalendar",
    "WorkClock",
    "WorkingHours",
    "clock_for",
    "load_calendar",
    "parse_hours",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
