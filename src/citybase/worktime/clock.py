"""Deadline arithmetic on the working-time calendar, in O(log n) per call.

Each year the clock touches is precomputed once into a table: every day's working spans as
UTC microsecond intervals, the working microseconds before each day (a prefix sum) and the
working days before each day. ``add`` and ``elapsed`` then bisect those prefix sums instead
of walking minutes. Instants are handled as integer microseconds, so adding and measuring
agree exactly.

Conventions (the 民法典 art. 201–203 reading of "within N days", as CJJ/T 106-style service
limits use it): the day a period starts does not count; **N working days** end at the end
of working time of the N-th working day after the start day; **N calendar days** end at
24:00 of the N-th day after the start day; working and calendar **hours** run from the
instant itself (working hours count only time inside working spans).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from citybase.errors import ConfigurationError, ValidationFailed
from citybase.settings import get_settings
from citybase.worktime.calendar import WorkCalendar, load_calendar
from citybase.worktime.hours import WorkingHours, parse_hours

if TYPE_CHECKING:
    from citybase.settings import Settings

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
US = dt.timedelta(microseconds=1)
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


class Unit(StrEnum):
    """How a time limit is counted."""

    working_hours = "working_hours"  # 工作小时
    working_days = "working_days"  # 工作日
    calendar_hours = "calendar_hours"  # 自然小时
    calendar_days = "calendar_days"  # 自然日

    @property
    def working(self) -> bool:
        return self in (Unit.working_hours, Unit.working_days)


def to_us(when: dt.datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("naive datetime given; use an aware datetime (citybase.db.utcnow())")
    return (when - EPOCH) // US


def from_us(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


@dataclass(frozen=True)
class _Year:
    first: dt.date
    spans: list[tuple[tuple[int, int], ...]]  # per day: UTC microsecond intervals
    cum: list[int]  # working microseconds before day i (len days + 1)
    wd: list[int]  # working days before day i (len days + 1)


class WorkClock:
    """A calendar, working hours and a timezone: everything a deadline needs."""

    def __init__(self, calendar: WorkCalendar, hours: WorkingHours, tz: ZoneInfo) -> None:
        self.calendar, self.hours, self.tz = calendar, hours, tz
        self._years: dict[int, _Year] = {}

    # --- tables -------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._years[year] = self._build(year)
        return table

    def _build(self, year: int) -> _Year:
        first = dt.date(year, 1, 1)
        spans: list[tuple[tuple[int, int], ...]] = []
        cum, wd = [0], [0]
        day = first
        while day.year == year:
            if self.calendar.is_workday(day):
                row = tuple(
                    (self._local_us(day, a), self._local_us(day, b)) for a, b in self.hours.spans
                )
            else:
                row = ()
            spans.append(row)
            cum.append(cum[-1] + sum(b - a for a, b in row))
            wd.append(wd[-1] + (1 if row else 0))
            day += dt.timedelta(days=1)
        return _Year(first, spans, cum, wd)

    def _local_us(self, day: dt.date, at: dt.time) -> int:
        if at == dt.time.max:
            return to_us(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), self.tz))
        return to_us(dt.datetime.combine(day, at, self.tz))

    def local_date(self, us: int) -> dt.date:
        return from_us(us).astimezone(self.tz).date()

    def _locate(self, us: int) -> tuple[_Year, int]:
        day = self.local_date(us)
        table = self._year(day.year)
        return table, (day - table.first).days

    def _pos(self, us: int) -> tuple[int, int]:
        """(year, working microseconds since that year's start) at instant ``us``."""
        table, i = self._locate(us)
        inside = sum(min(max(us - a, 0), b - a) for a, b in table.spans[i])
        return table.first.year, table.cum[i] + inside

    # --- working time -------------------------------------------------------------------

    def working_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time inside [start, end] (zero when end is not after start)."""
        return dt.timedelta(microseconds=self._working_us(to_us(start), to_us(end)))

    def _working_us(self, s: int, e: int) -> int:
        if e <= s:
            return 0
        ys, ps = self._pos(s)
        ye, pe = self._pos(e)
        return pe - ps + sum(self._year(y).cum[-1] for y in range(ys, ye))

    def add_working(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The earliest instant at which ``amount`` of working time has passed since start."""
        if amount < dt.timedelta(0):
            raise ValueError("amount must not be negative")
        return from_us(self._add_working_us(to_us(start), amount // US))

    def _add_working_us(self, s: int, amount: int) -> int:
        if amount == 0:
            return s
        year, pos = self._pos(s)
        target = pos + amount
        table = self._year(year)
        while target > table.cum[-1]:
            target -= table.cum[-1]
            year += 1
            table = self._year(year)
        i = bisect.bisect_left(table.cum, target) - 1
        rest = target - table.cum[i]
        for a, b in table.spans[i]:
            if rest <= b - a:
                return a + rest
            rest -= b - a
        raise AssertionError("prefix sums and spans disagree")  # pragma: no cover

    # --- working days -------------------------------------------------------------------

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """End of working time of the ``days``-th working day after the start day."""
        if days == 0:
            return start
        table, i = self._locate(to_us(start))
        target = table.wd[i + 1] + days
        while target > table.wd[-1]:
            target -= table.wd[-1]
            table = self._year(table.first.year + 1)
        k = bisect.bisect_left(table.wd, target) - 1
        return from_us(table.spans[k][-1][1])

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working days after the start day up to ``end``; a partial day counts pro rata."""
        s, e = to_us(start), to_us(end)
        ts, i = self._locate(s)
        te, j = self._locate(e)
        if (te.first.year, j) <= (ts.first.year, i):
            return 0.0
        whole = (
            te.wd[j]
            - ts.wd[i + 1]
            + sum(self._year(y).wd[-1] for y in range(ts.first.year, te.first.year))
        )
        row = te.spans[j]
        if not row:
            return float(whole)
        day_us = te.cum[j + 1] - te.cum[j]
        inside = sum(min(max(e - a, 0), b - a) for a, b in row)
        return whole + inside / day_us

    # --- calendar days ------------------------------------------------------------------

    def add_calendar_days(self, start: dt.datetime, days: int) -> dt.datetime:
        if days == 0:
            return start
        day = start.astimezone(self.tz).date() + dt.timedelta(days=days + 1)
        return dt.datetime.combine(day, dt.time(), self.tz).astimezone(dt.UTC)

    def calendar_days_between(self, start: dt.datetime, end: dt.datetime) -> float:
        ds, de = start.astimezone(self.tz).date(), end.astimezone(self.tz)
        if de.date() <= ds:
            return 0.0
        midnight = dt.datetime.combine(de.date(), dt.time(), self.tz)
        length = (
            dt.datetime.combine(de.date() + dt.timedelta(days=1), dt.time(), self.tz) - midnight
        )
        return (de.date() - ds).days - 1 + (de - midnight) / length

    # --- the general door ---------------------------------------------------------------

    def add(self, start: dt.datetime, amount: float, unit: Unit | str) -> dt.datetime:
        """The deadline ``amount`` ``unit`` after ``start`` (UTC-aware)."""
        unit = Unit(unit)
        if amount < 0:
            raise ValidationFailed(f"amount: {amount} is negative; give 0 or more.", field="amount")
        if unit is Unit.working_hours:
            return self.add_working(start, dt.timedelta(microseconds=round(amount * HOUR_US)))
        if unit is Unit.calendar_hours:
            return (start + dt.timedelta(microseconds=round(amount * HOUR_US))).astimezone(dt.UTC)
        if amount != int(amount):
            raise ValidationFailed(
                f"amount: {unit.value} are counted in whole days; give an integer, not {amount}.",
                field="amount",
            )
        if unit is Unit.working_days:
            return self.add_working_days(start, int(amount))
        return self.add_calendar_days(start, int(amount))

    def elapsed(self, start: dt.datetime, end: dt.datetime, unit: Unit | str) -> float:
        """How much of ``unit`` has passed from ``start`` to ``end`` (inverse of ``add``)."""
        unit = Unit(unit)
        if unit is Unit.working_hours:
            return self._working_us(to_us(start), to_us(end)) / HOUR_US
        if unit is Unit.calendar_hours:
            return max(to_us(end) - to_us(start), 0) / HOUR_US
        if unit is Unit.working_days:
            return self.working_days_between(start, end)
        return self.calendar_days_between(start, end)

    # --- the base measure deadlines use (working or calendar time) ----------------------

    def measure(self, start: dt.datetime, end: dt.datetime, *, working: bool) -> dt.timedelta:
        if working:
            return self.working_between(start, end)
        return max(end - start, dt.timedelta(0))

    def advance(self, start: dt.datetime, amount: dt.timedelta, *, working: bool) -> dt.datetime:
        if working:
            return self.add_working(start, amount)
        return (start + amount).astimezone(dt.UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"worktime_timezone: '{name}' is not an IANA timezone; use e.g. Asia/Shanghai.",
            field="worktime_timezone",
        ) from None


@lru_cache(maxsize=8)
def _clock(tz: str, hours: str, calendar: Path | None) -> WorkClock:
    return WorkClock(load_calendar(calendar), parse_hours(hours), _zone(tz))


def clock_for(settings: Settings | None = None) -> WorkClock:
    """The city's clock from settings (cached; validated on first use and at start-up)."""
    if settings is None:
        settings = get_settings()
    return _clock(settings.worktime_timezone, settings.worktime_hours, settings.worktime_calendar)
