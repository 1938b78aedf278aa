"""The workflow's service: start an instance, move it, say what may be done next.

Import as ``from citybase.workflow import service as workflow_service``. Keyword-only
functions on the caller's ``db_session``; they never commit. Every move is written to the
history table, audited (``audit_service.record``) and published as ``workflow.Transitioned``
in the caller's transaction. ``actor=None`` is the platform itself (e.g. 无条件共享 granted at
once): it may take every move, and only it may take moves marked ``system: true``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from citybase.events import publish
from citybase.identity import service as identity_service
from citybase.identity.models import User
from citybase.settings import Settings, get_settings
from citybase.workflow.deadlines import (
    deadline_of,
    deadline_state,
    next_deadline,
    store_deadline,
    uncounted,
)
from citybase.workflow.definition import ANY, Transition, Workflow
from citybase.workflow.events import Transitioned
from citybase.workflow.models import WorkflowInstance, WorkflowTransition
from citybase.workflow.registry import get_workflow
from citybase.worktime import CalendarNotCovered, Deadline, clock_for

log = logging.getLogger(__name__)

__all__ = [
    "allowed_actions",
    "check_allowed",
    "deadline_of",
    "deadline_state",
    "definition_of",
    "find_instance",
    "history",
    "start",
    "transition",
]


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else get_settings()


def definition_of(instance: WorkflowInstance, settings: Settings | None = None) -> Workflow:
    return get_workflow(instance.workflow, _settings(settings))


def departments_of(instance: WorkflowInstance) -> dict[str, str | None]:
    out: dict[str, str | None] = json.loads(instance.departments)
    return out


# --- guards ---------------------------------------------------------------------------------


def _refusal(move: Transition, instance: WorkflowInstance, actor: User | None) -> str | None:
    """Why ``actor`` may not take ``move`` (None: it may)."""
    if actor is None:
        return None
    if move.system_only:
        return "only the platform itself takes this step"
    code = departments_of(instance).get(move.department) if move.department != ANY else None
    where = ""
    if move.department != ANY:
        where = f" of the {move.department} department ({code or 'none recorded'})"
    if move.roles is not None and actor.role not in move.roles:
        return f"is for {' or '.join(sorted(move.roles))}{where}; you are '{actor.role}'"
    if (
        move.department != ANY
        and not identity_service.is_admin(actor)
        and (code is None or actor.department_code != code)
    ):
        mine = actor.department_code or "no department"
        return f"is for staff{where}; you are in {mine}"
    return None


def allowed_actions(
    *,
    db_session: Session,
    instance: WorkflowInstance,
    actor: User | None,
    settings: Settings | None = None,
) -> list[Transition]:
    """The moves ``actor`` may take from the instance's current state, in file order."""
    wf = definition_of(instance, settings)
    return [m for m in wf.moves_from(instance.state) if _refusal(m, instance, actor) is None]


def _allowed_text(moves: list[Transition]) -> str:
    if not moves:
        return "none for you"
    return ", ".join(f"{m.name} (→ {m.target})" for m in moves)


def check_allowed(
    *,
    instance: WorkflowInstance,
    action: str,
    actor: User | None,
    settings: Settings | None = None,
) -> Transition:
    """The move ``action`` if ``actor`` may take it now; else 409 (no such move from this
    state) or 403 (not for this actor), naming the moves the actor may take instead."""
    wf = definition_of(instance, settings)
    allowed = [m for m in wf.moves_from(instance.state) if _refusal(m, instance, actor) is None]
    here = f"{instance.subject_type} {instance.subject_id} is '{instance.state}'"
    move = wf.transitions.get(action)
    if move is None or instance.state not in move.sources:
        raise Conflict(
            f"action: '{action}' is not a move from '{instance.state}'. {here}; "
            f"allowed now: {_allowed_text(allowed)}.",
            field="action",
        )
    why = _refusal(move, instance, actor)
    if why is not None:
        raise PermissionDenied(
            f"action: '{action}' {why}. {here}; allowed for you now: {_allowed_text(allowed)}.",
            field="action",
        )
    return move


def _required(move: Transition, reason: str | None, data: dict[str, Any]) -> None:
    for name in move.requires:
        value = reason if name == "reason" else data.get(name)
        if value is None or (isinstance(value, str) and len(value.strip()) < 2):
            raise ValidationFailed(
                f"{name}: '{move.name}' needs a {name}; give it (at least two characters).",
                field=name,
            )


# --- moving ---------------------------------------------------------------------------------


def _record(
    db_session: Session,
    *,
    wf: Workflow,
    instance: WorkflowInstance,
    action: str,
    from_state: str | None,
    actor: User | None,
    at: dt.datetime,
    reason: str,
    data: dict[str, Any],
) -> None:
    db_session.add(
        WorkflowTransition(
            instance_id=instance.id,
            action=action,
            from_state=from_state,
            to_state=instance.state,
            actor_id=actor.id if actor is not None else None,
            actor_name=actor.username if actor is not None else "system",
            at=at,
            reason=reason,
            data=json.dumps(data, ensure_ascii=False, default=str),
        )
    )
    audit_service.record(
        db_session,
        actor=actor,
        action=f"workflow.{action}",
        object_type=instance.subject_type,
        object_id=instance.subject_id,
        detail={
            "workflow": wf.name,
            "instance": instance.id,
            "from": from_state,
            "to": instance.state,
            "reason": reason,
            **({"deadline_error": data["deadline_error"]} if "deadline_error" in data else {}),
        },
        department_code=actor.department_code if actor is not None else None,
    )
    publish(
        db_session,
        Transitioned(
            workflow=wf.name,
            instance_id=instance.id,
            subject_type=instance.subject_type,
            subject_id=instance.subject_id,
            action=action,
            from_state=from_state,
            to_state=instance.state,
            actor=actor.username if actor is not None else "system",
            due_at=instance.deadline_due_at,
            audience_departments=sorted({c for c in departments_of(instance).values() if c}),
        ),
    )


def start(
    *,
    db_session: Session,
    workflow: str,
    subject_type: str,
    subject_id: str | int,
    departments: dict[str, str | None],
    actor: User | None,
    settings: Settings | None = None,
    at: dt.datetime | None = None,
) -> WorkflowInstance:
    """Start ``subject`` in the workflow's initial state (and its time limit, if any)."""
    settings = _settings(settings)
    wf = get_workflow(workflow, settings)
    missing = [d for d in wf.departments if d not in departments]
    unknown = [d for d in departments if d not in wf.departments]
    if missing or unknown:
        raise ValidationFailed(
            f"departments: workflow '{wf.name}' records {', '.join(wf.departments) or 'none'}; "
            f"missing {missing or 'none'}, unknown {unknown or 'none'}.",
            field="departments",
        )
    now = at or utcnow()
    instance = WorkflowInstance(
        workflow=wf.name,
        subject_type=subject_type,
        subject_id=str(subject_id),
        state=wf.initial,
        departments=json.dumps(departments, sort_keys=True),
        created_at=now,
        updated_at=now,
    )
    limit = wf.states[wf.initial].time_limit
    deadline, problem = None, None
    if limit is not None:
        try:
            deadline = Deadline.start(
                clock_for(settings), at=now, amount=limit.amount, unit=limit.unit,
                warn_share=settings.worktime_warning_share,
            )  # fmt: skip
            store_deadline(instance, deadline, settings)
        except CalendarNotCovered as exc:
            problem = uncounted(instance, exc)
    db_session.add(instance)
    db_session.flush()
    _record(
        db_session, wf=wf, instance=instance, action="start", from_state=None, actor=actor,
        at=now, reason="", data={"deadline_error": problem} if problem else {},
    )  # fmt: skip
    return instance


def find_instance(
    *, db_session: Session, workflow: str, subject_type: str, subject_id: str | int
) -> WorkflowInstance | None:
    return db_session.scalar(
        select(WorkflowInstance).where(
            WorkflowInstance.workflow == workflow,
            WorkflowInstance.subject_type == subject_type,
            WorkflowInstance.subject_id == str(subject_id),
        )
    )


def _load(
    db_session: Session,
    instance: WorkflowInstance | None,
    instance_id: int | None,
    subject: tuple[str, str, str | int] | None,
) -> WorkflowInstance:
    if instance is not None:
        return instance
    stmt = select(WorkflowInstance).with_for_update()
    if instance_id is not None:
        stmt = stmt.where(WorkflowInstance.id == instance_id)
    elif subject is not None:
        workflow, subject_type, subject_id = subject
        stmt = stmt.where(
            WorkflowInstance.workflow == workflow,
            WorkflowInstance.subject_type == subject_type,
            WorkflowInstance.subject_id == str(subject_id),
        )
    else:
        raise ValueError("give instance, instance_id or subject")
    found = db_session.scalar(stmt)
    if found is None:
        raise NotFound(f"No workflow instance for {instance_id or subject}.", field="instance_id")
    return found


def transition(
    *,
    db_session: Session,
    action: str,
    actor: User | None,
    instance: WorkflowInstance | None = None,
    instance_id: int | None = None,
    subject: tuple[str, str, str | int] | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
    settings: Settings | None = None,
    at: dt.datetime | None = None,
) -> WorkflowInstance:
    """Take ``action`` on an instance (given, by id, or by (workflow, type, id) subject).

    Refused with 409 when the move does not exist from the current state (or the instance
    changed meanwhile) and 403 when the actor may not take it; both messages list the moves
    the actor may take now.
    """
    settings = _settings(settings)
    data = dict(data or {})
    instance = _load(db_session, instance, instance_id, subject)
    wf = get_workflow(instance.workflow, settings)
    if expected_version is not None and expected_version != instance.version:
        raise Conflict(
            f"{instance.subject_type} {instance.subject_id} changed meanwhile (version "
            f"{instance.version}, you had {expected_version}); reload it and try again.",
            field="version",
        )
    move = check_allowed(instance=instance, action=action, actor=actor, settings=settings)
    _required(move, reason, data)
    now = at or utcnow()
    from_state = instance.state
    try:
        deadline = next_deadline(wf, move, instance, now, settings)
        store_deadline(instance, deadline, settings)
    except CalendarNotCovered as exc:
        data["deadline_error"] = uncounted(instance, exc)
        store_deadline(instance, None, settings)
    instance.state = move.target
    instance.updated_at = now
    label = f"{instance.subject_type} {instance.subject_id}"
    try:
        db_session.flush()
    except StaleDataError:
        raise Conflict(
            f"{label} was moved by someone else "
            "meanwhile; reload it to see its state and try again.",
            field="version",
        ) from None
    _record(
        db_session, wf=wf, instance=instance, action=action, from_state=from_state,
        actor=actor, at=now, reason=(reason or "").strip(), data=data,
    )  # fmt: skip
    return instance


def history(*, db_session: Session, instance: WorkflowInstance) -> list[WorkflowTransition]:
    """Every move of the instance, oldest first."""
    stmt = (
        select(WorkflowTransition)
        .where(WorkflowTransition.instance_id == instance.id)
        .order_by(WorkflowTransition.id)
    )
    return list(db_session.scalars(stmt))
