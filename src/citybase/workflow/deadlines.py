"""Time limits of workflow instances: stored in the instance row, moved by transitions.

The rules a move applies (docs/workflow.md "Time limits") live in ``next_deadline``.
"""

from __future__ import annotations

import datetime as dt
import logging

from citybase.db import utcnow
from citybase.errors import Conflict
from citybase.settings import Settings, get_settings
from citybase.workflow.definition import Transition, Workflow
from citybase.workflow.models import WorkflowInstance
from citybase.worktime import CalendarNotCovered, Deadline, DeadlineState, clock_for
from citybase.worktime.clock import Unit

log = logging.getLogger(__name__)


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else get_settings()


def deadline_of(instance: WorkflowInstance, settings: Settings | None = None) -> Deadline | None:
    if instance.deadline_unit is None or instance.deadline_started_at is None:
        return None
    return Deadline(
        unit=Unit(instance.deadline_unit),
        amount=instance.deadline_amount or 0.0,
        started_at=instance.deadline_started_at,
        allowed=dt.timedelta(microseconds=instance.deadline_allowed_us or 0),
        paused=dt.timedelta(microseconds=instance.deadline_paused_us or 0),
        paused_at=instance.deadline_paused_at,
        warn_share=_settings(settings).worktime_warning_share,
    )


def deadline_state(
    *, instance: WorkflowInstance, settings: Settings | None = None, now: dt.datetime | None = None
) -> DeadlineState | None:
    """On time / warning / overdue / paused, with the due instant, at ``now``."""
    deadline = deadline_of(instance, settings)
    if deadline is None:
        return None
    try:
        return deadline.state(clock_for(_settings(settings)), now=now or utcnow())
    except CalendarNotCovered as exc:
        log.warning("deadline of %s %s: %s", instance.subject_type, instance.subject_id, exc)
        return None


def uncounted(instance: WorkflowInstance, exc: CalendarNotCovered) -> str:
    """A time limit the calendar cannot count: the move goes ahead without a deadline (a
    city's work must not stop because next year's holidays are not entered yet); the reason
    is logged and kept in the move's history and audit record."""
    log.warning(
        "no deadline for %s %s: %s", instance.subject_type, instance.subject_id, exc.message
    )
    return exc.message


def store_deadline(
    instance: WorkflowInstance, deadline: Deadline | None, settings: Settings
) -> None:
    due = deadline.due_at(clock_for(settings)) if deadline else None
    warn = deadline.warn_at(clock_for(settings)) if deadline else None
    instance.deadline_unit = deadline.unit.value if deadline else None
    instance.deadline_amount = deadline.amount if deadline else None
    instance.deadline_started_at = deadline.started_at if deadline else None
    instance.deadline_allowed_us = (
        deadline.allowed // dt.timedelta(microseconds=1) if deadline else None
    )
    instance.deadline_paused_us = (
        deadline.paused // dt.timedelta(microseconds=1) if deadline else None
    )
    instance.deadline_paused_at = deadline.paused_at if deadline else None
    instance.deadline_due_at = due
    instance.deadline_warn_at = warn


def next_deadline(
    wf: Workflow,
    move: Transition,
    instance: WorkflowInstance,
    at: dt.datetime,
    settings: Settings,
) -> Deadline | None:
    """The time-limit rules (docs/workflow.md): extend; stay; pause; resume; start; stop."""
    clock = clock_for(settings)
    current = deadline_of(instance, settings)
    if move.extends is not None:
        if current is None:
            raise Conflict(
                f"'{move.name}' extends the time limit, but no time limit runs in state "
                f"'{instance.state}'.",
                field="action",
            )
        current = current.extend(clock, amount=move.extends.amount, unit=move.extends.unit)
    source, target = wf.states[instance.state], wf.states[move.target]
    if target.name == source.name:
        return current
    if target.pauses:
        return current.pause(at=at) if current and current.paused_at is None else current
    if source.pauses and current is not None and current.paused_at is not None:
        return current.resume(clock, at=at)
    if target.time_limit is not None:
        limit = target.time_limit
        return Deadline.start(
            clock, at=at, amount=limit.amount, unit=limit.unit,
            warn_share=settings.worktime_warning_share,
        )  # fmt: skip
    return None
