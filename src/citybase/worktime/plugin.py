"""The working-time calendar as a plug-in: validated at start-up."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import hookimpl

domain = DomainPlugin(name="worktime", cli="citybase.worktime.cli:app")

log = logging.getLogger(__name__)
LOOKAHEAD_DAYS = 60


@hookimpl
def citybase_check_settings(settings: Any) -> None:
    """Refuse to start with a bad city calendar file, working hours or timezone; warn when
    the calendar ends within two months (deadlines past its end cannot be counted)."""
    from citybase.worktime import clock_for

    clock = clock_for(settings)
    ahead = dt.date.today() + dt.timedelta(days=LOOKAHEAD_DAYS)
    if not clock.calendar.covers(ahead.year):
        log.warning(
            "The working-time calendar covers %s only; deadlines reaching %s cannot be "
            "counted. Upgrade chinesecalendar or enter %s in the city calendar file "
            "(setting worktime_calendar, docs/worktime.md).",
            clock.calendar.covered_text(),
            ahead.year,
            ahead.year,
        )
