"""Pause (挂起), extension (延期), warning and overdue on real calendars."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.errors import Conflict
from citybase.worktime import Deadline, DeadlineStatus, Unit, WorkCalendar, WorkClock, parse_hours

SH = ZoneInfo("Asia/Shanghai")
CLOCK = WorkClock(WorkCalendar(), parse_hours("09:00-12:00,13:30-18:00"), SH)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def local(when: dt.datetime) -> str:
    return when.astimezone(SH).strftime("%Y-%m-%d %H:%M")


def test_five_working_days_over_national_day_warn_then_overdue() -> None:
    d = Deadline.start(CLOCK, at=at("2024-09-30 10:00"), amount=5, unit=Unit.working_days)
    assert local(d.due_at(CLOCK)) == "2024-10-12 18:00"
    assert d.state(CLOCK, now=at("2024-10-05 12:00")).status is DeadlineStatus.on_time
    assert d.state(CLOCK, now=at("2024-10-11 17:00")).status is DeadlineStatus.warning
    assert d.state(CLOCK, now=at("2024-10-12 17:59")).status is DeadlineStatus.warning
    late = d.state(CLOCK, now=at("2024-10-12 19:00"))
    assert late.status is DeadlineStatus.overdue
    assert d.state(CLOCK, now=at("2024-10-14 10:00")).remaining < dt.timedelta(0)


def test_paused_time_does_not_count() -> None:
    d = Deadline.start(CLOCK, at=at("2024-06-11 09:00"), amount=8, unit=Unit.working_hours)
    assert local(d.due_at(CLOCK)) == "2024-06-12 09:30"
    paused = d.pause(at=at("2024-06-11 10:00"))
    state = paused.state(CLOCK, now=at("2024-06-13 10:00"))
    assert state.status is DeadlineStatus.paused
    assert state.used == dt.timedelta(hours=1)
    resumed = paused.resume(CLOCK, at=at("2024-06-13 10:00"))
    # 1 hour used before the pause; 7 left from Thursday 10:00 → Friday 09:30.
    assert local(resumed.due_at(CLOCK)) == "2024-06-14 09:30"
    assert resumed.state(CLOCK, now=at("2024-06-13 10:00")).used == dt.timedelta(hours=1)


def test_pause_twice_and_resume_without_pause_are_refused() -> None:
    d = Deadline.start(CLOCK, at=at("2024-06-11 09:00"), amount=1, unit=Unit.working_days)
    with pytest.raises(Conflict, match="already paused"):
        d.pause(at=at("2024-06-11 10:00")).pause(at=at("2024-06-11 11:00"))
    with pytest.raises(Conflict, match="not paused"):
        d.resume(CLOCK, at=at("2024-06-11 11:00"))


def test_extension_adds_working_days_after_the_due_day() -> None:
    d = Deadline.start(CLOCK, at=at("2025-01-24 10:00"), amount=2, unit=Unit.working_days)
    assert local(d.due_at(CLOCK)) == "2025-01-27 18:00"  # Sunday 26 Jan is a make-up day
    longer = d.extend(CLOCK, amount=3)
    assert longer.amount == 5
    assert local(longer.due_at(CLOCK)) == "2025-02-07 18:00"  # 5, 6, 7 February
    assert longer.state(CLOCK, now=at("2025-02-05 10:00")).status is DeadlineStatus.on_time


def test_warning_share_is_configurable() -> None:
    d = Deadline.start(
        CLOCK, at=at("2024-06-11 09:00"), amount=10, unit=Unit.calendar_hours, warn_share=0.5
    )
    assert local(d.warn_at(CLOCK)) == "2024-06-11 14:00"
    assert d.state(CLOCK, now=at("2024-06-11 13:59")).status is DeadlineStatus.on_time
    assert d.state(CLOCK, now=at("2024-06-11 14:00")).status is DeadlineStatus.warning
    assert d.state(CLOCK, now=at("2024-06-11 19:01")).status is DeadlineStatus.overdue


# --- properties: a pause never counts, wherever it falls -----------------------------------


instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2025, 6, 30), timezones=st.just(SH)
)
gaps = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=20))


@settings(max_examples=200, deadline=None)
@given(start=instants, a=gaps, b=gaps, c=gaps, days=st.integers(min_value=1, max_value=20))
def test_paused_working_time_never_counts(
    start: dt.datetime, a: dt.timedelta, b: dt.timedelta, c: dt.timedelta, days: int
) -> None:
    d = Deadline.start(CLOCK, at=start, amount=days, unit=Unit.working_days)
    pause_at, resume_at, now = start + a, start + a + b, start + a + b + c
    resumed = d.pause(at=pause_at).resume(CLOCK, at=resume_at)
    expected = CLOCK.working_between(start, pause_at) + CLOCK.working_between(resume_at, now)
    assert resumed.state(CLOCK, now=now).used == expected
    # the due instant moved by exactly the working time spent paused
    shift = CLOCK.working_between(pause_at, resume_at)
    assert CLOCK.working_between(d.due_at(CLOCK), resumed.due_at(CLOCK)) == shift
