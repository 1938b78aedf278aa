"""``citybase worktime …``: ask the working-time calendar, as deadlines will use it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from citybase.cli_support import console, friendly_errors, load_settings
from citybase.errors import ValidationFailed

app = typer.Typer(help="The working-time calendar (工作日历).", no_args_is_help=True)


def _local(text: str, tz: dt.tzinfo) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"START: '{text}' is not a date-time; write e.g. 2024-09-30T10:00.", field="START"
        ) from None
    return when.replace(tzinfo=tz) if when.tzinfo is None else when


@app.command("due")
@friendly_errors
def due(
    start: Annotated[str, typer.Argument(help="Local start, e.g. 2024-09-30T10:00.")],
    amount: Annotated[float, typer.Argument(help="How much time.")],
    unit: Annotated[
        str, typer.Argument(help="working_hours, working_days, calendar_hours, calendar_days.")
    ],
) -> None:
    """When a time limit starting at START ends (in the city's timezone)."""
    from citybase.worktime import Unit, clock_for

    clock = clock_for(load_settings())
    try:
        unit_ = Unit(unit)
    except ValueError:
        raise ValidationFailed(
            f"UNIT: '{unit}' is not one of {', '.join(u.value for u in Unit)}.", field="UNIT"
        ) from None
    begin = _local(start, clock.tz)
    end = clock.add(begin, amount, unit_).astimezone(clock.tz)
    console.print(f"{end:%Y-%m-%d %H:%M} ({clock.tz})")


@app.command("day")
@friendly_errors
def day(date: Annotated[str, typer.Argument(help="A date, e.g. 2024-10-12.")]) -> None:
    """Whether DATE is a working day, and why (holiday or make-up day name)."""
    from citybase.worktime import clock_for

    try:
        when = dt.date.fromisoformat(date)
    except ValueError:
        raise ValidationFailed(
            f"DATE: '{date}' is not a date (YYYY-MM-DD).", field="DATE"
        ) from None
    cal = clock_for(load_settings()).calendar
    working = cal.is_workday(when)
    name = cal.name_of(when)
    what = "working day" if working else "rest day"
    console.print(f"{when.isoformat()} ({when:%a}): {what}" + (f" · {name}" if name else ""))
