"""The workflow as a plug-in: its tables and its event type."""

from __future__ import annotations

from typing import Any

from citybase.hookspecs import hookimpl


@hookimpl
def citybase_load_models() -> None:
    from citybase.workflow import models  # noqa: F401


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
def citybase_cli(app: Any) -> None:
    from citybase.workflow.cli import app as workflow_app

    app.add_typer(workflow_app, name="workflow")


@hookimpl
def citybase_load_jobs() -> None:
    from citybase.workflow import timers  # noqa: F401 - registers workflow.check_deadlines


@hookimpl
def citybase_periodic_jobs() -> list[Any]:
    from citybase.workflow.timers import PERIODIC

    return list(PERIODIC)
