"""The workflow's domain event: published on every move, in the mover's transaction."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from citybase.events import DomainEvent


class Transitioned(DomainEvent):
    """A workflow instance moved (``from_state`` None: it was started)."""

    event_type: ClassVar[str] = "workflow.Transitioned"
    version: ClassVar[int] = 1

    workflow: str
    instance_id: int
    subject_type: str
    subject_id: str
    action: str
    from_state: str | None
    to_state: str
    actor: str
    due_at: dt.datetime | None = None


class DeadlineWarning(DomainEvent):
    """An instance's time limit reached the warning share (预警) and is still running."""

    event_type: ClassVar[str] = "workflow.DeadlineWarning"
    version: ClassVar[int] = 1

    workflow: str
    instance_id: int
    subject_type: str
    subject_id: str
    state: str
    due_at: dt.datetime


class DeadlineOverdue(DomainEvent):
    """An instance's time limit passed (超期) while it was still in the limited state."""

    event_type: ClassVar[str] = "workflow.DeadlineOverdue"
    version: ClassVar[int] = 1

    workflow: str
    instance_id: int
    subject_type: str
    subject_id: str
    state: str
    due_at: dt.datetime
