"""Sharing requests on the workflow (``sharing_request.yaml``): guards, time limit, events.

The request's ``status`` column is kept equal to its workflow state, so every reader of
``status`` keeps working; who may decide, the owner's time limit (5 working days by
default) and extensions come from the workflow file the city may replace.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from citybase.errors import ConfigurationError
from citybase.identity.models import User
from citybase.settings import Settings, get_settings
from citybase.sharing.enums import RequestStatus
from citybase.sharing.models import SharingRequest
from citybase.sharing.schemas import RequestMove
from citybase.workflow import service as workflow_service
from citybase.workflow.models import WorkflowInstance
from citybase.workflow.registry import get_workflow
from citybase.worktime import clock_for
from citybase.worktime.deadline import STATUS_LABELS

WORKFLOW = "sharing_request"
SUBJECT = "sharing_request"
#: The moves sharing takes and the state each must lead to (a grant is made on "granted").
ACTIONS = {
    "approve": RequestStatus.granted,
    "reject": RequestStatus.rejected,
    "withdraw": RequestStatus.withdrawn,
    "grant_at_once": RequestStatus.granted,
    "refuse": RequestStatus.refused,
}


@dataclass(frozen=True)
class DeadlineInfo:
    due_at: dt.datetime
    due_local: str  # in the city's timezone
    status: str  # on_time / warning / overdue / paused
    label_zh: str
    label_en: str


def check_definition(settings: Settings) -> None:
    """The city's sharing workflow must keep the states and moves sharing relies on."""
    wf = get_workflow(WORKFLOW, settings)
    missing = [s.value for s in RequestStatus if s.value not in wf.states]
    missing += [a for a in ACTIONS if a not in wf.transitions]
    if missing:
        raise ConfigurationError(
            f"{wf.source}: sharing needs the states {', '.join(s.value for s in RequestStatus)} "
            f"and the moves {', '.join(ACTIONS)}; missing: {', '.join(missing)}.",
            field="workflow_dir",
        )
    for name, target in ACTIONS.items():
        move = wf.transitions[name]
        if move.target != target.value or RequestStatus.pending.value not in move.sources:
            raise ConfigurationError(
                f"{wf.source}: transitions ({name}): sharing needs '{name}' to lead from "
                f"pending to {target.value}; it leads from {', '.join(move.sources)} to "
                f"{move.target}.",
                field="workflow_dir",
            )


def start(
    db_session: Session, req: SharingRequest, actor: User | None, settings: Settings
) -> WorkflowInstance:
    return workflow_service.start(
        db_session=db_session,
        workflow=WORKFLOW,
        subject_type=SUBJECT,
        subject_id=req.id,
        departments=_departments(req),
        actor=actor,
        settings=settings,
        at=req.created_at,
    )


def _departments(req: SharingRequest) -> dict[str, str | None]:
    return {"owner": req.dataset.department.code, "requester": req.department.code}


def unsaved_instance(req: SharingRequest) -> WorkflowInstance:
    """What a pending request without an instance would start as (guards only; not saved)."""
    return WorkflowInstance(
        workflow=WORKFLOW,
        subject_type=SUBJECT,
        subject_id=str(req.id),
        state=req.status,
        departments=json.dumps(_departments(req), sort_keys=True),
    )


def instance_of(
    db_session: Session,
    req: SharingRequest,
    settings: Settings | None = None,
    *,
    adopt: bool = True,
) -> WorkflowInstance | None:
    """The request's instance; with ``adopt``, a pending request filed before the workflow
    existed gets one (its time limit counted from when it was filed)."""
    found = workflow_service.find_instance(
        db_session=db_session, workflow=WORKFLOW, subject_type=SUBJECT, subject_id=req.id
    )
    if found is None and adopt and req.status == RequestStatus.pending:
        found = start(db_session, req, None, settings or get_settings())
    return found


def check(
    db_session: Session, req: SharingRequest, action: str, actor: User | None, settings: Settings
) -> None:
    """Refuse now (403/409 naming the allowed moves) before any other validation."""
    instance = instance_of(db_session, req, settings)
    if instance is not None:
        workflow_service.check_allowed(
            instance=instance, action=action, actor=actor, settings=settings
        )


def move(
    db_session: Session,
    req: SharingRequest,
    action: str,
    actor: User | None,
    reason: str,
    settings: Settings,
) -> None:
    instance = instance_of(db_session, req, settings)
    if instance is None:
        return
    workflow_service.transition(
        db_session=db_session,
        instance=instance,
        action=action,
        actor=actor,
        reason=reason,
        settings=settings,
    )
    req.status = instance.state


def deadline(
    db_session: Session,
    req: SharingRequest,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> DeadlineInfo | None:
    """The owner's decision deadline while the request is pending (None otherwise)."""
    if req.status != RequestStatus.pending:
        return None
    instance = workflow_service.find_instance(
        db_session=db_session, workflow=WORKFLOW, subject_type=SUBJECT, subject_id=req.id
    )
    if instance is None:
        return None
    state = workflow_service.deadline_state(instance=instance, settings=settings, now=now)
    if state is None:
        return None
    zh, en = STATUS_LABELS[state.status]
    tz = clock_for(settings).tz
    local = state.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return DeadlineInfo(state.due_at, local, state.status.value, zh, en)


def allowed_moves(
    *, db_session: Session, viewer: User, request: SharingRequest, settings: Settings | None = None
) -> list[str]:
    """The workflow moves ``viewer`` may take on the request now (for pages' buttons)."""
    instance = instance_of(db_session, request, settings, adopt=False)
    if instance is None:
        if request.status != RequestStatus.pending:
            return []
        instance = unsaved_instance(request)
    return [
        m.name
        for m in workflow_service.allowed_actions(
            db_session=db_session, instance=instance, actor=viewer, settings=settings
        )
    ]


def request_history(
    *, db_session: Session, request: SharingRequest, settings: Settings | None = None
) -> list[RequestMove]:
    """The request's workflow moves, oldest first (empty for requests older than it)."""
    instance = instance_of(db_session, request, settings, adopt=False)
    if instance is None:
        return []
    settings = settings or get_settings()
    wf = get_workflow(WORKFLOW, settings)
    tz = clock_for(settings).tz
    labels = {"start": "提交申请"} | {name: t.label_zh for name, t in wf.transitions.items()}
    return [
        RequestMove(
            action=m.action,
            label=labels.get(m.action, m.action),
            from_state=m.from_state,
            to_state=m.to_state,
            actor=m.actor_name,
            at=m.at,
            at_local=m.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            reason=m.reason,
        )
        for m in workflow_service.history(db_session=db_session, instance=instance)
    ]
