"""Which days are working days: the national schedule plus the city's own days.

The national schedule — public holidays **and** the make-up working days (调休) the State
Council announces each year — comes from the ``chinesecalendar`` package. A city adds or
overrides days (a local holiday, a day the office is closed, a make-up day) in a YAML file
named by the ``worktime_calendar`` setting, and may vouch for years the package does not
cover yet (``years:``; weekends are then rest days unless the file says otherwise).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml

from citybase.errors import ConfigurationError

NATIONAL_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


class CalendarNotCovered(ConfigurationError):
    """A date outside every year the calendar knows: no deadline can be computed safely."""

    code = "calendar_not_covered"


@dataclass(frozen=True)
class WorkCalendar:
    """The national schedule, overridden by ``days`` and extended by ``years``."""

    days: dict[dt.date, bool] = field(default_factory=dict)  # date -> is a working day
    names: dict[dt.date, str] = field(default_factory=dict)
    years: frozenset[int] = frozenset()
    source: str = "chinesecalendar"

    @property
    def covered(self) -> list[int]:
        return sorted(set(NATIONAL_YEARS) | self.years)

    def covers(self, year: int) -> bool:
        return year in NATIONAL_YEARS or year in self.years

    def covered_text(self) -> str:
        extra = sorted(self.years - set(NATIONAL_YEARS))
        text = f"{NATIONAL_YEARS.start}–{NATIONAL_YEARS.stop - 1}"
        return text + (f" and {', '.join(map(str, extra))}" if extra else "")

    def is_workday(self, day: dt.date) -> bool:
        if day in self.days:
            return self.days[day]
        if day.year in NATIONAL_YEARS:
            return bool(chinese_calendar.is_workday(day))
        if day.year in self.years:
            return day.weekday() < 5
        raise CalendarNotCovered(
            f"{day.isoformat()}: the working-time calendar covers {self.covered_text()} only, "
            f"so no deadline can be counted on {day.isoformat()}. Upgrade the chinesecalendar "
            f"package, or add {day.year} to `years:` with its holidays and make-up days in the "
            "city calendar file (setting worktime_calendar, see docs/worktime.md).",
            field="worktime_calendar",
        )

    def name_of(self, day: dt.date) -> str | None:
        if day in self.names:
            return self.names[day]
        if day.year in NATIONAL_YEARS:
            _, name = chinese_calendar.get_holiday_detail(day)
            return str(name) if name else None
        return None


def _fail(path: Path, where: str, what: str) -> ConfigurationError:
    return ConfigurationError(f"{path}: {where}: {what}", field="worktime_calendar")


def _date(value: Any, path: Path, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(path, where, f"'{value}' is not a date; write YYYY-MM-DD.") from None


def parse_calendar(doc: Any, path: Path) -> WorkCalendar:
    """Validate a city calendar document (see docs/worktime.md for the format)."""
    if doc is None:
        return WorkCalendar(source=str(path))
    if not isinstance(doc, dict):
        raise _fail(path, "top level", "expected a mapping with `years:` and/or `days:`.")
    unknown = set(doc) - {"years", "days"}
    if unknown:
        raise _fail(path, "top level", f"unknown key(s) {sorted(unknown)}; use years and days.")
    years: set[int] = set()
    for i, year in enumerate(doc.get("years") or []):
        if not isinstance(year, int) or not 1900 <= year <= 2200:
            raise _fail(path, f"years[{i}]", f"'{year}' is not a year such as 2027.")
        years.add(year)
    days: dict[dt.date, bool] = {}
    names: dict[dt.date, str] = {}
    for i, entry in enumerate(doc.get("days") or []):
        where = f"days[{i}]"
        if not isinstance(entry, dict) or "date" not in entry or "kind" not in entry:
            raise _fail(
                path, where, "each day needs `date: YYYY-MM-DD` and `kind: holiday|workday`."
            )
        day = _date(entry["date"], path, where)
        if day in days:
            raise _fail(path, where, f"{day.isoformat()} is listed twice; keep one entry.")
        if entry["kind"] not in ("holiday", "workday"):
            raise _fail(path, f"{where}.kind", f"'{entry['kind']}' must be holiday or workday.")
        days[day] = entry["kind"] == "workday"
        if entry.get("name"):
            names[day] = str(entry["name"])
    return WorkCalendar(days=days, names=names, years=frozenset(years), source=str(path))


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date is reported with its entry."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_calendar(path: Path | None) -> WorkCalendar:
    """The national calendar, with the city's file applied when ``path`` is given."""
    if path is None:
        return WorkCalendar()
    if not path.is_file():
        raise ConfigurationError(
            f"worktime_calendar: {path} does not exist; point the setting at the city's "
            "calendar YAML or unset it to use the national calendar alone.",
            field="worktime_calendar",
        )
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe
    except yaml.YAMLError as exc:
        raise _fail(path, "YAML", str(exc).splitlines()[0]) from None
    return parse_calendar(doc, path)
