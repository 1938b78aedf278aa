"""The working-time calendar as a plug-in: validated at start-up."""

from __future__ import annotations

from typing import Any

from citybase.hookspecs import hookimpl


@hookimpl
def citybase_check_settings(settings: Any) -> None:
    """Refuse to start with a bad city calendar file, working hours or timezone."""
    from citybase.worktime import clock_for

    clock_for(settings)
