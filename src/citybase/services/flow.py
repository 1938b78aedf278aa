"""Applications on the workflow (``service_application.yaml``) and the promised time limit.

The application's ``status`` is kept equal to its workflow state. The item's promised limit
(承诺时限, working days from the catalogue) is a ``worktime.Deadline`` stored on the
application: started at acceptance, paused while the applicant supplies more materials
(补正), resumed on resubmission. When the calendar does not cover the years a limit runs
into, the move still happens and no due date is set (the reason is kept in ``note``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from citybase.errors import ConfigurationError
from citybase.identity.models import User
from citybase.services.models import ServiceApplication
from citybase.settings import Settings
from citybase.workflow import service as workflow_service
from citybase.workflow.registry import get_workflow
from citybase.worktime import CalendarNotCovered, Deadline, Unit, clock_for
from citybase.worktime.deadline import STATUS_LABELS

WORKFLOW = "service_application"
SUBJECT = "service_application"
STATES = ("submitted", "review", "supplement", "approved", "rejected", "delivered", "withdrawn")
MOVES = (
    "accept",
    "refuse",
    "accept_at_once",
    "approve",
    "reject",
    "approve_by_rules",
    "reject_by_rules",
    "request_supplement",
    "resubmit",
    "deliver",
    "deliver_at_once",
    "withdraw",
)


def check_definition(settings: Settings) -> None:
    wf = get_workflow(WORKFLOW, settings)
    missing = [s for s in STATES if s not in wf.states] + [
        m for m in MOVES if m not in wf.transitions
    ]
    if missing:
        raise ConfigurationError(
            f"{wf.source}: services needs the states {', '.join(STATES)} and the moves "
            f"{', '.join(MOVES)}; missing: {', '.join(missing)}.",
            field="workflow_dir",
        )


def start(
    db_session: Session, app: ServiceApplication, actor: User | None, settings: Settings
) -> None:
    workflow_service.start(
        db_session=db_session,
        workflow=WORKFLOW,
        subject_type=SUBJECT,
        subject_id=app.id,
        departments={"service": app.department_code},
        actor=actor,
        settings=settings,
    )
    app.status = "submitted"


def _instance(db_session: Session, app: ServiceApplication) -> Any:
    inst = workflow_service.find_instance(
        db_session=db_session, workflow=WORKFLOW, subject_type=SUBJECT, subject_id=app.id
    )
    assert inst is not None, f"application {app.id} has no workflow instance"
    return inst


def check(
    db_session: Session,
    app: ServiceApplication,
    action: str,
    actor: User | None,
    settings: Settings,
) -> None:
    workflow_service.check_allowed(
        instance=_instance(db_session, app), action=action, actor=actor, settings=settings
    )


def move(
    db_session: Session,
    app: ServiceApplication,
    action: str,
    actor: User | None,
    reason: str,
    settings: Settings,
    at: dt.datetime | None = None,
) -> None:
    inst = _instance(db_session, app)
    workflow_service.transition(
        db_session=db_session,
        instance=inst,
        action=action,
        actor=actor,
        reason=reason or None,
        settings=settings,
        at=at,
    )
    app.status = inst.state


def allowed(
    db_session: Session, app: ServiceApplication, viewer: User, settings: Settings
) -> list[str]:
    if app.status == "draft":
        return []
    return [
        m.name
        for m in workflow_service.allowed_actions(
            db_session=db_session,
            instance=_instance(db_session, app),
            actor=viewer,
            settings=settings,
        )
    ]


def history(
    db_session: Session, app: ServiceApplication, settings: Settings
) -> list[dict[str, Any]]:
    if app.status == "draft":
        return []
    wf = get_workflow(WORKFLOW, settings)
    tz = clock_for(settings).tz
    labels = {"start": "提交申请"} | {n: t.label_zh for n, t in wf.transitions.items()}
    return [
        {
            "action": m.action,
            "label": labels.get(m.action, m.action),
            "from": m.from_state,
            "to": m.to_state,
            "actor": m.actor_name,
            "at": m.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "reason": m.reason,
        }
        for m in workflow_service.history(
            db_session=db_session, instance=_instance(db_session, app)
        )
    ]


# --- the promised limit -------------------------------------------------------------------


def _dump(d: Deadline) -> str:
    return json.dumps(
        {
            "unit": d.unit.value,
            "amount": d.amount,
            "started_at": d.started_at.isoformat(),
            "allowed_s": d.allowed.total_seconds(),
            "paused_s": d.paused.total_seconds(),
            "paused_at": d.paused_at.isoformat() if d.paused_at else None,
            "warn_share": d.warn_share,
        }
    )


def _load(text: str | None) -> Deadline | None:
    if not text:
        return None
    raw = json.loads(text)
    return Deadline(
        unit=Unit(raw["unit"]),
        amount=raw["amount"],
        started_at=dt.datetime.fromisoformat(raw["started_at"]),
        allowed=dt.timedelta(seconds=raw["allowed_s"]),
        paused=dt.timedelta(seconds=raw["paused_s"]),
        paused_at=dt.datetime.fromisoformat(raw["paused_at"]) if raw["paused_at"] else None,
        warn_share=raw["warn_share"],
    )


def start_limit(app: ServiceApplication, days: int, settings: Settings, at: dt.datetime) -> None:
    clock = clock_for(settings)
    try:
        d = Deadline.start(
            clock,
            at=at,
            amount=max(days, 0),
            unit="working_days",
            warn_share=settings.worktime_warning_share,
        )
        app.deadline = _dump(d)
        app.due_at = d.due_at(clock)
    except CalendarNotCovered as exc:
        app.deadline, app.due_at = None, None
        app.note = f"承诺时限无法计算 / no due date: {exc.message}"


def pause_limit(app: ServiceApplication, at: dt.datetime) -> None:
    d = _load(app.deadline)
    if d is not None and d.paused_at is None:
        app.deadline = _dump(d.pause(at=at))


def resume_limit(app: ServiceApplication, settings: Settings, at: dt.datetime) -> None:
    d = _load(app.deadline)
    if d is None or d.paused_at is None:
        return
    clock = clock_for(settings)
    try:
        d = d.resume(clock, at=at)
        app.deadline = _dump(d)
        app.due_at = d.due_at(clock)
    except CalendarNotCovered as exc:
        app.note = f"承诺时限无法计算 / no due date: {exc.message}"


@dataclass(frozen=True)
class LimitInfo:
    status: str
    label_zh: str
    label_en: str
    due_local: str


def limit_state(
    app: ServiceApplication, settings: Settings, now: dt.datetime | None = None
) -> LimitInfo | None:
    d = _load(app.deadline)
    if d is None:
        return None
    clock = clock_for(settings)
    try:
        state = d.state(clock, now=now or dt.datetime.now(dt.UTC))
    except CalendarNotCovered:
        return None
    zh, en = STATUS_LABELS[state.status]
    local = state.due_at.astimezone(clock.tz).strftime("%Y-%m-%d %H:%M")
    return LimitInfo(state.status.value, zh, en, local)
