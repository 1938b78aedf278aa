"""The workflow as a plug-in: its tables and its event type."""

from __future__ import annotations

from typing import Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import hookimpl

domain = DomainPlugin(
    name="workflow", models="citybase.workflow.models", cli="citybase.workflow.cli:app"
)


@hookimpl
def citybase_event_types() -> list[type[Any]]:
    from citybase.workflow.events import DeadlineOverdue, DeadlineWarning, Transitioned

    return [Transitioned, DeadlineWarning, DeadlineOverdue]


@hookimpl
def citybase_check_settings(settings: Any) -> None:
    """Refuse to start with an invalid workflow file."""
    from citybase.workflow.registry import workflows

    workflows(settings)


@hookimpl
def citybase_load_jobs() -> None:
    from citybase.workflow import timers  # noqa: F401 - registers workflow.check_deadlines


@hookimpl
def citybase_periodic_jobs() -> list[Any]:
    from citybase.workflow.timers import PERIODIC

    return list(PERIODIC)
