"""Deadline arithmetic on real holiday periods, and properties across holidays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.errors import ValidationFailed
from citybase.worktime import Unit, WorkCalendar, WorkClock, parse_hours

SH = ZoneInfo("Asia/Shanghai")
CLOCK = WorkClock(WorkCalendar(), parse_hours("09:00-12:00,13:30-18:00"), SH)
H = dt.timedelta(hours=1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def local(when: dt.datetime) -> str:
    return when.astimezone(SH).strftime("%Y-%m-%d %H:%M")


def test_working_days_skip_national_day_and_count_the_make_up_saturday() -> None:
    start = at("2024-09-30 10:00")  # Monday before National Day
    assert local(CLOCK.add(start, 1, Unit.working_days)) == "2024-10-08 18:00"
    # 8, 9, 10, 11 October, then Saturday 12 October is a make-up working day.
    assert local(CLOCK.add(start, 5, Unit.working_days)) == "2024-10-12 18:00"
    assert local(CLOCK.add(start, 6, Unit.working_days)) == "2024-10-14 18:00"


def test_working_hours_run_into_a_make_up_sunday() -> None:
    start = at("2024-02-02 17:00")  # Friday; Sunday 4 February is a make-up working day
    assert local(CLOCK.add(start, 2, Unit.working_hours)) == "2024-02-04 10:00"


def test_spring_festival_2025() -> None:
    # 2025-01-26 (Sunday) is a make-up day; 28 Jan – 4 Feb holiday; 8 Feb (Saturday) make-up.
    start = at("2025-01-24 12:00")  # Friday lunch break
    assert local(CLOCK.add(start, 1, Unit.working_days)) == "2025-01-26 18:00"
    assert local(CLOCK.add(start, 2, Unit.working_days)) == "2025-01-27 18:00"
    assert local(CLOCK.add(start, 3, Unit.working_days)) == "2025-02-05 18:00"
    assert local(CLOCK.add(start, 6, Unit.working_days)) == "2025-02-08 18:00"
    assert CLOCK.elapsed(start, at("2025-02-05 18:00"), Unit.working_days) == 3


def test_lunch_break_and_evening_do_not_count() -> None:
    assert CLOCK.working_between(at("2024-06-14 11:00"), at("2024-06-14 14:30")) == 2 * H
    assert CLOCK.working_between(at("2024-06-14 17:00"), at("2024-06-17 10:00")) == 2 * H
    assert local(CLOCK.add(at("2024-06-14 11:30"), 1, "working_hours")) == "2024-06-14 14:00"


def test_a_deadline_across_new_year_spans_two_year_tables() -> None:
    start = at("2024-12-31 17:00")
    # 1 January 2025 is a holiday; 2 January is the next working day.
    assert local(CLOCK.add(start, 2, Unit.working_hours)) == "2025-01-02 10:00"
    assert CLOCK.elapsed(start, at("2025-01-02 10:00"), Unit.working_hours) == 2


def test_calendar_units() -> None:
    start = at("2024-09-30 10:00")
    assert local(CLOCK.add(start, 3, Unit.calendar_days)) == "2024-10-04 00:00"  # 24:00 of 3 Oct
    assert local(CLOCK.add(start, 30, Unit.calendar_hours)) == "2024-10-01 16:00"
    assert CLOCK.elapsed(start, CLOCK.add(start, 3, "calendar_days"), "calendar_days") == 3


def test_fractional_days_and_negative_amounts_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="whole days"):
        CLOCK.add(at("2024-06-14 10:00"), 1.5, Unit.working_days)
    with pytest.raises(ValidationFailed, match="negative"):
        CLOCK.add(at("2024-06-14 10:00"), -1, Unit.working_hours)


def test_results_are_utc_aware() -> None:
    due = CLOCK.add(at("2024-06-14 10:00"), 1, Unit.working_days)
    assert due.tzinfo is not None and due.utcoffset() == dt.timedelta(0)


# --- properties, across 2024–2025 holidays and make-up days --------------------------------

instants = st.datetimes(
    min_value=dt.datetime(2023, 12, 20), max_value=dt.datetime(2025, 12, 20), timezones=st.just(SH)
)
amounts = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(hours=400))
day_counts = st.integers(min_value=0, max_value=60)


@settings(max_examples=300, deadline=None)
@given(start=instants, amount=amounts)
def test_elapsed_inverts_add(start: dt.datetime, amount: dt.timedelta) -> None:
    assert CLOCK.working_between(start, CLOCK.add_working(start, amount)) == amount


@settings(max_examples=300, deadline=None)
@given(start=instants, a=amounts, b=amounts)
def test_adding_is_additive(start: dt.datetime, a: dt.timedelta, b: dt.timedelta) -> None:
    assert CLOCK.add_working(CLOCK.add_working(start, a), b) == CLOCK.add_working(start, a + b)


@settings(max_examples=300, deadline=None)
@given(start=instants, a=amounts, b=amounts)
def test_adding_more_never_ends_earlier(
    start: dt.datetime, a: dt.timedelta, b: dt.timedelta
) -> None:
    small, large = sorted((a, b))
    assert CLOCK.add_working(start, small) <= CLOCK.add_working(start, large)


@settings(max_examples=300, deadline=None)
@given(start=instants, mid=instants, end=instants)
def test_measuring_is_additive(start: dt.datetime, mid: dt.datetime, end: dt.datetime) -> None:
    s, m, e = sorted((start, mid, end))
    assert CLOCK.working_between(s, m) + CLOCK.working_between(m, e) == CLOCK.working_between(s, e)


@settings(max_examples=300, deadline=None)
@given(start=instants, a=day_counts, b=day_counts)
def test_working_days_add_and_measure_agree(start: dt.datetime, a: int, b: int) -> None:
    due = CLOCK.add(start, a, Unit.working_days)
    assert CLOCK.elapsed(start, due, Unit.working_days) == a
    if a > 0:
        assert CLOCK.calendar.is_workday(due.astimezone(SH).date())
        assert due.astimezone(SH).time() == dt.time(18, 0)
        assert CLOCK.add(due, b, Unit.working_days) == CLOCK.add(start, a + b, Unit.working_days)


@settings(max_examples=200, deadline=None)
@given(start=instants, a=day_counts)
def test_calendar_days_add_and_measure_agree(start: dt.datetime, a: int) -> None:
    due = CLOCK.add(start, a, Unit.calendar_days)
    assert CLOCK.elapsed(start, due, Unit.calendar_days) == a
