"""Cases on the workflow ``ops_case``: who may move a case, what each move does to it.

The workflow (``data/workflows/ops_case.yaml``) checks the state and the role; ops adds the
department scope (an officer acts only on his department's cases), validates what each move
needs, keeps the case row (status = state, time limit, counters) and publishes
``ops.CaseTransitioned`` / ``ops.CaseClosed``. Guards first, then the move's own checks.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from citybase.db import utcnow
from citybase.errors import ConfigurationError, NotFound, PermissionDenied, ValidationFailed
from citybase.events import publish
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.ops import routing, sla
from citybase.ops.enums import REQUIRED_MOVES, REQUIRED_STATES, Satisfaction
from citybase.ops.events import CaseClosed, CaseTransitioned
from citybase.ops.models import OpsCase
from citybase.ops.taxonomy import get_category
from citybase.settings import Settings
from citybase.workflow import service as workflow_service
from citybase.workflow.models import WorkflowInstance
from citybase.workflow.registry import get_workflow

WORKFLOW = "ops_case"
SUBJECT = "ops_case"
#: Roles that act only on their own department's cases.
SCOPED = frozenset({Role.officer.value, Role.dept_admin.value, Role.data_steward.value})
#: Moves that keep the state and exist once per state ("urge" → "urge_dispatched" …).
PER_STATE = ("urge", "supervise")


def check_definition(settings: Settings) -> None:
    wf = get_workflow(WORKFLOW, settings)
    missing = [s for s in REQUIRED_STATES if s not in wf.states]
    missing += [m for m in REQUIRED_MOVES if m not in wf.transitions]
    if missing:
        raise ConfigurationError(
            f"{wf.source}: ops needs the states {', '.join(REQUIRED_STATES)} and the moves "
            f"{', '.join(REQUIRED_MOVES)}; missing: {', '.join(missing)}.",
            field="workflow_dir",
        )


def instance_of(db_session: Session, case: OpsCase) -> WorkflowInstance:
    inst = workflow_service.find_instance(
        db_session=db_session, workflow=WORKFLOW, subject_type=SUBJECT, subject_id=case.id
    )
    if inst is None:
        inst = _replay(db_session, case)
    return inst


#: How a case written in bulk (history import, demo) reaches its state on the workflow.
REPLAY = {
    "closed": ("register", "dispatch", "accept", "handle", "confirm", "close"),
    "rejected": ("reject",),
}


def _replay(db_session: Session, case: OpsCase) -> WorkflowInstance:
    """A case written in bulk gets its workflow instance when first acted on: started and
    moved by the platform along the loop to its recorded state ("历史案卷" in each move)."""
    if case.status not in REPLAY:
        raise NotFound(f"case {case.id} has no workflow instance.", field="case_id")
    inst = workflow_service.start(
        db_session=db_session, workflow=WORKFLOW, subject_type=SUBJECT, subject_id=case.id,
        departments={}, actor=None,
    )  # fmt: skip
    for action in REPLAY[case.status]:
        inst = workflow_service.transition(
            db_session=db_session, instance=inst, action=action, actor=None,
            reason="历史案卷（批量导入）", data={"result": case.result or "历史案卷"},
        )  # fmt: skip
    return inst


def resolve(settings: Settings, state: str, action: str) -> str:
    if action in PER_STATE:
        wf = get_workflow(WORKFLOW, settings)
        for name in (action, f"{action}_{state}"):
            move = wf.transitions.get(name)
            if move is not None and state in move.sources:
                return name
    return action


def public_action(name: str) -> str:
    for base in PER_STATE:
        if name.startswith(base + "_"):
            return base
    return name


def check_scope(case: OpsCase, actor: User | None) -> None:
    if actor is None or identity_service.is_admin(actor) or actor.role not in SCOPED:
        return
    if case.department is None or actor.department_code != case.department:
        raise PermissionDenied(
            f"case_id: case {case.id} is handled by {case.department or 'no department yet'}; "
            f"you are in {actor.department_code or 'no department'} and may act only on your "
            "department's cases.",
            field="case_id",
        )


def allowed(
    db_session: Session, case: OpsCase, actor: User | None, settings: Settings
) -> list[str]:
    try:
        check_scope(case, actor)
    except PermissionDenied:
        return []
    inst = instance_of(db_session, case)
    moves = workflow_service.allowed_actions(
        db_session=db_session, instance=inst, actor=actor, settings=settings
    )
    return list(dict.fromkeys(public_action(m.name) for m in moves if m.name != "merge"))


def _department(db_session: Session, code: str | None, field: str = "department") -> str:
    if not code:
        raise ValidationFailed(
            f"{field}: give the department code to send the case to.", field=field
        )
    try:
        identity_service.get_department(db_session=db_session, code=code)
    except NotFound as exc:
        raise ValidationFailed(f"{field}: {exc.message}", field=field) from None
    return code


def _prepare(
    db_session: Session,
    case: OpsCase,
    name: str,
    settings: Settings,
    data: dict[str, Any],
    now: dt.datetime,
) -> None:
    """The move's own checks, before anything is written."""
    if name == "register_and_dispatch":
        _prepare(db_session, case, "register", settings, data, now)
        _prepare(db_session, case, "dispatch", settings, data, now)
    elif name == "register":
        code = data.get("category") or case.category
        if not code:
            raise ValidationFailed(
                "category: this case waits for a person to choose its category; give it.",
                field="category",
            )
        get_category(settings, code)
        data["category"] = code
    elif name in ("dispatch", "reassign"):
        if name == "reassign" or data.get("department"):
            data["department"] = _department(db_session, data.get("department"))
            data.setdefault("routed_by", "person")
        elif case.category is not None:  # 派遣 by the routing rules
            where = routing.route(
                db_session, settings, category=case.category, text=case.text,
                district_code=case.district_code, street_code=case.street_code,
                grid_code=case.grid_code, at=now,
            )  # fmt: skip
            data["department"] = _department(db_session, where.department)
            data["routed_by"] = where.rule
            if where.grid_code:
                data["grid_code"] = where.grid_code
    elif name == "follow_up":
        value = data.get("satisfaction")
        if value not in {s.value for s in Satisfaction}:
            raise ValidationFailed(
                "satisfaction: give one of " + ", ".join(s.value for s in Satisfaction) + ".",
                field="satisfaction",
            )
    elif name == "request_extension":
        hours = data.get("hours")
        if not isinstance(hours, int | float) or not 0 < hours <= 2000:
            raise ValidationFailed(
                "hours: give the working hours of extension asked for (0 < hours ≤ 2000).",
                field="hours",
            )


def _last_requested_hours(db_session: Session, inst: WorkflowInstance) -> float:
    for row in reversed(workflow_service.history(db_session=db_session, instance=inst)):
        if row.action == "request_extension":
            return float(json.loads(row.data).get("hours") or 0)
    return 0.0


def _apply(
    db_session: Session,
    case: OpsCase,
    name: str,
    settings: Settings,
    data: dict[str, Any],
    at: dt.datetime,
    inst: WorkflowInstance,
) -> None:
    """What the move does to the case row (the state itself is the workflow's)."""
    if name == "register_and_dispatch":
        _apply(db_session, case, "register", settings, data, at, inst)
        _apply(db_session, case, "dispatch", settings, data, at, inst)
    elif name == "register":
        case.category = data["category"]
        case.needs_category = False
        case.registered_at, case.registered_day = at, sla.city_day(settings, at)
    elif name in ("dispatch", "reassign", "reopen"):
        if data.get("department"):
            case.department = data["department"]
            case.routed_by = data.get("routed_by") or "person"
        if data.get("grid_code"):
            case.grid_code = data["grid_code"]
        if case.department is None:
            raise ValidationFailed(
                "department: give the department to dispatch to.", field="department"
            )
        case.dispatched_at = at
        if case.category:
            sla.start(case, get_category(settings, case.category), settings, at)
        if name == "reopen":
            case.closed_at = case.closed_day = case.handled_at = None
            case.on_time = case.handling_hours = None
    elif name == "return":
        sla._store(case, None, settings)
    elif name == "handle":
        case.result = str(data.get("result") or "")
        case.handled_at = at
        sla.judge(case, settings, at)
    elif name == "send_back":
        case.rework_count += 1
        case.handled_at, case.on_time, case.handling_hours = None, None, None
    elif name == "approve_extension":
        hours = float(data.get("hours") or _last_requested_hours(db_session, inst))
        case.extension_count += 1
        sla.extend(case, settings, hours)
    elif name == "approve_suspension":
        sla.pause(case, settings, at)
    elif name == "resume":
        sla.resume(case, settings, at)
    elif name == "close":
        case.closed_at, case.closed_day = at, sla.city_day(settings, at)
    elif name == "follow_up":
        case.satisfaction = str(data["satisfaction"])
    elif name.startswith("urge"):
        case.urge_count += 1
    elif name.startswith("supervise"):
        case.supervise_count += 1


def facts(case: OpsCase) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "status": case.status,
        "channel": case.channel,
        "category": case.category,
        "department": case.department,
        "district_code": case.district_code,
        "street_code": case.street_code,
        "grid_code": case.grid_code,
        "lon": case.lon,
        "lat": case.lat,
        "due_at": case.due_at,
        "audience_departments": [case.department] if case.department else [],
    }


def move(
    db_session: Session,
    *,
    case: OpsCase,
    action: str,
    actor: User | None,
    settings: Settings,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
    instance: WorkflowInstance | None = None,
) -> OpsCase:
    """Take ``action`` on ``case``: 403/409 with the allowed moves, 422 naming the field."""
    data = {k: v for k, v in (data or {}).items() if v is not None}
    now = at or utcnow()
    inst = instance if instance is not None else instance_of(db_session, case)
    name = resolve(settings, inst.state, action)
    workflow_service.check_allowed(instance=inst, action=name, actor=actor, settings=settings)
    check_scope(case, actor)
    _prepare(db_session, case, name, settings, data, now)
    from_state = inst.state
    workflow_service.transition(
        db_session=db_session, instance=inst, action=name, actor=actor, reason=reason,
        data=data, expected_version=expected_version, settings=settings, at=now,
    )  # fmt: skip
    case.status = inst.state
    case.updated_at = now
    _apply(db_session, case, name, settings, data, now, inst)
    db_session.flush()
    who = actor.username if actor is not None else "system"
    publish(
        db_session,
        CaseTransitioned(
            action=public_action(name), from_state=from_state, actor=who, **facts(case)
        ),
    )
    if name == "close":
        publish(
            db_session,
            CaseClosed(
                on_time=case.on_time, handling_hours=case.handling_hours,
                rework_count=case.rework_count, **facts(case),
            ),
        )  # fmt: skip
    return case
