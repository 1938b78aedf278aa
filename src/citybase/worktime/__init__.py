"""The working-time calendar (工作日历): holidays, make-up days, working hours, deadlines.

``from citybase.worktime import clock_for, Unit`` — see docs/worktime.md.
"""

from __future__ import annotations

from citybase.worktime.calendar import CalendarNotCovered, WorkCalendar, load_calendar
from citybase.worktime.clock import Unit, WorkClock, clock_for
from citybase.worktime.deadline import Deadline, DeadlineState, DeadlineStatus
from citybase.worktime.hours import WorkingHours, parse_hours

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
