"""The calendar knows national holidays, make-up working days and the city's own days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citybase.errors import ConfigurationError
from citybase.worktime import CalendarNotCovered, WorkCalendar, load_calendar, parse_hours
from citybase.worktime.calendar import NATIONAL_YEARS

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2024-02-04", True),  # Sunday, make-up day before Spring Festival
        ("2024-02-18", True),  # Sunday, make-up day after it
        ("2024-02-12", False),  # Monday inside the Spring Festival holiday
        ("2024-10-01", False),
        ("2024-10-07", False),  # Monday, still National Day
        ("2024-10-08", True),
        ("2024-10-12", True),  # Saturday, make-up day
        ("2025-01-26", True),  # Sunday, make-up day
        ("2025-02-08", True),  # Saturday, make-up day
        ("2025-01-29", False),  # 春节
        ("2024-06-15", False),  # an ordinary Saturday
        ("2024-06-14", True),  # an ordinary Friday
    ],
)
def test_national_holidays_and_make_up_days(day: str, working: bool) -> None:
    assert WorkCalendar().is_workday(D(day)) is working


def test_a_year_the_data_does_not_cover_names_the_date_and_the_range() -> None:
    beyond = NATIONAL_YEARS.stop + 3
    with pytest.raises(CalendarNotCovered) as err:
        WorkCalendar().is_workday(dt.date(beyond, 3, 2))
    message = err.value.message
    assert f"{beyond}-03-02" in message
    assert f"{NATIONAL_YEARS.start}–{NATIONAL_YEARS.stop - 1}" in message
    assert "worktime_calendar" in message


def test_city_file_overrides_days_and_vouches_for_a_year(tmp_path: Path) -> None:
    beyond = NATIONAL_YEARS.stop
    path = tmp_path / "calendar.yaml"
    path.write_text(
        f"years: [{beyond}]\n"
        "days:\n"
        "  - {date: 2024-06-14, kind: holiday, name: 市庆日}\n"
        "  - {date: 2024-06-15, kind: workday, name: 调休}\n"
        f"  - {{date: {beyond}-01-01, kind: holiday, name: 元旦}}\n",
        encoding="utf-8",
    )
    cal = load_calendar(path)
    assert cal.is_workday(D("2024-06-14")) is False
    assert cal.name_of(D("2024-06-14")) == "市庆日"
    assert cal.is_workday(D("2024-06-15")) is True
    assert cal.is_workday(dt.date(beyond, 1, 1)) is False
    assert cal.is_workday(dt.date(beyond, 1, 4)) is (dt.date(beyond, 1, 4).weekday() < 5)
    assert str(beyond) in cal.covered_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("days:\n  - {date: 2024-13-01, kind: holiday}\n", "days[0]: '2024-13-01' is not a date"),
        ("days:\n  - {date: 2024-06-14, kind: rest}\n", "days[0].kind: 'rest'"),
        (
            "days:\n  - {date: 2024-06-14, kind: holiday}\n  - {date: 2024-06-14, kind: workday}\n",
            "days[1]: 2024-06-14 is listed twice",
        ),
        ("years: [twenty]\n", "years[0]"),
        ("holidays: []\n", "unknown key"),
        ("days:\n  - 2024-06-14\n", "each day needs"),
    ],
)
def test_bad_city_file_is_refused_naming_the_entry(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as err:
        load_calendar(path)
    assert expected in err.value.message
    assert str(path) in err.value.message


def test_missing_city_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_calendar(tmp_path / "nope.yaml")


def test_working_hours_parse_in_order() -> None:
    hours = parse_hours("09:00-12:00, 13:30-18:00")
    assert str(hours) == "09:00-12:00,13:30-18:00"
    assert hours.day_end == dt.time(18, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-12:00,11:00-18:00", "overlaps"),
        ("13:30-18:00,09:00-12:00", "overlaps or precedes"),
        ("12:00-09:00", "ends before it starts"),
        ("9h-12h", "not a time"),
        ("", "no working hours"),
        ("09:00", "START-END"),
    ],
)
def test_bad_working_hours_are_refused(text: str, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=expected):
        parse_hours(text)


# --- property: any ordered set of spans parses and prints back the same --------------------


@given(
    st.lists(st.integers(min_value=0, max_value=24 * 60 - 1), min_size=2, max_size=8, unique=True)
)
def test_ordered_spans_round_trip(minutes: list[int]) -> None:
    points = sorted(minutes)[: len(minutes) // 2 * 2]
    text = ",".join(
        f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}"
        for a, b in zip(points[::2], points[1::2], strict=True)
    )
    assert str(parse_hours(text)) == text
