"""The ops domain's door: ``from citybase.ops import service as ops_service``.

Keyword-only functions on the caller's ``db_session``; they never commit. Writes are audited
(workflow moves by the workflow, the rest here) and published as ``ops.*`` events.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.ops import flow, routing, views
from citybase.ops.enums import OPEN_STATES, Channel
from citybase.ops.intake import IntakeResult, dispatch_by_rules, locate
from citybase.ops.intake import intake as _intake
from citybase.ops.models import OpsCase, OpsNote, OpsReport, OpsRoutingRule
from citybase.ops.schemas import IntakeBody, RuleBody, RuleRead
from citybase.ops.settings import OpsSettings, get_ops_settings
from citybase.ops.taxonomy import Category, categories, get_category
from citybase.settings import Settings

__all__ = [
    "case_detail", "case_read", "categories", "create_rule", "delete_rule", "dispatch_by_rules",
    "get_case", "get_category", "hot_spots", "intake", "list_cases", "list_rules", "merge", "move",
    "my_reports", "reply", "test_route", "update_rule",
]  # fmt: skip

case_read = views.case_read
case_detail = views.case_detail
INTAKE_ROLES = frozenset(
    r.value
    for r in (
        Role.platform_admin,
        Role.dispatcher,
        Role.call_taker,
        Role.grid_worker,
        Role.applicant,
    )
)


def _ops(ops: OpsSettings | None) -> OpsSettings:
    return ops if ops is not None else get_ops_settings()


def intake(
    *,
    db_session: Session,
    settings: Settings,
    actor: User | None,
    body: IntakeBody,
    ops: OpsSettings | None = None,
    alarm_id: int | None = None,
) -> IntakeResult:
    if actor is not None and actor.role not in INTAKE_ROLES:
        raise PermissionDenied(
            f"Taking in a city event report is for {', '.join(sorted(INTAKE_ROLES))}; you are "
            f"'{actor.role}'.",
        )
    if actor is not None and actor.role == Role.applicant.value:
        body = body.model_copy(update={"channel": Channel.web})
    result = _intake(
        db_session, settings=settings, ops=_ops(ops), actor=actor, body=body, alarm_id=alarm_id
    )
    # The intake is audited as the workflow's start of the case (``workflow.start``).
    return result


def get_case(*, db_session: Session, viewer: User | None, case_id: int) -> OpsCase:
    return views.get_case(db_session, viewer, case_id)


def move(
    *,
    db_session: Session,
    settings: Settings,
    actor: User | None,
    case_id: int,
    action: str,
    reason: str | None = None,
    data: dict[str, object] | None = None,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> OpsCase:
    case = views.get_case(db_session, actor, case_id)
    if action == "merge":
        raise ValidationFailed("action: merge a case with POST …/merge {into}.", field="action")
    return flow.move(
        db_session, case=case, action=action, actor=actor, settings=settings, reason=reason,
        data=dict(data or {}), expected_version=expected_version, at=at,
    )  # fmt: skip


def merge(
    *,
    db_session: Session,
    settings: Settings,
    actor: User | None,
    case_id: int,
    into: int,
    reason: str,
) -> OpsCase:
    """合并: the case's reports join ``into`` (every reporter then gets its replies)."""
    case = views.get_case(db_session, actor, case_id)
    target = views.get_case(db_session, actor, into)
    if target.id == case.id or target.status in ("merged", "rejected"):
        raise ValidationFailed(
            f"into: case {into} cannot take reports (it is {target.status or 'the same case'}).",
            field="into",
        )
    flow.move(
        db_session, case=case, action="merge", actor=actor, settings=settings, reason=reason,
        data={"into": target.id},
    )  # fmt: skip
    case.merged_into = target.id
    for report in db_session.scalars(select(OpsReport).where(OpsReport.case_id == case.id)):
        report.case_id = target.id
    db_session.add(
        OpsNote(case_id=target.id, kind="note", text=f"合并案卷 {case.id}：{reason}",
                author=actor.username if actor else "system")
    )  # fmt: skip
    audit_service.record(
        db_session, actor=actor, action="ops.merge", object_type="ops_case",
        object_id=str(target.id), detail={"merged": case.id, "reason": reason},
    )  # fmt: skip
    db_session.flush()
    return target


def reply(
    *, db_session: Session, actor: User, case_id: int, text: str, kind: str = "reply"
) -> OpsNote:
    """A reply every reporter of the case sees (答复), or an internal note."""
    case = views.get_case(db_session, actor, case_id)
    flow.check_scope(case, actor)
    if actor.role == Role.applicant.value:
        raise PermissionDenied("Replies are written by the staff handling the case.")
    note = OpsNote(case_id=case.id, kind=kind, text=text, author=actor.username, at=utcnow())
    db_session.add(note)
    audit_service.record(
        db_session, actor=actor, action=f"ops.{kind}", object_type="ops_case",
        object_id=str(case.id), department_code=actor.department_code,
    )  # fmt: skip
    db_session.flush()
    return note


@dataclass(frozen=True)
class Queue:
    items: list[OpsCase]
    total: int


def list_cases(
    *,
    db_session: Session,
    viewer: User,
    status: list[str] | None = None,
    department: str | None = None,
    category: str | None = None,
    grid_code: str | None = None,
    open_only: bool = False,
    overdue_first: bool = True,
    page: int = 1,
    size: int = 50,
    now: dt.datetime | None = None,
) -> Queue:
    """The queue: filters; by due instant (overdue, the earliest due, first), newest last."""
    if viewer.role == Role.applicant.value:
        raise PermissionDenied("Citizens see their own reports at /api/ops/my-reports.")
    where = []
    if viewer.role not in views.CITY_WIDE:
        where.append(OpsCase.department == viewer.department_code)
    if department:
        where.append(OpsCase.department == department)
    if status:
        where.append(OpsCase.status.in_(status))
    elif open_only:
        where.append(OpsCase.status.in_(OPEN_STATES))
    if category:
        where.append(OpsCase.category == category)
    if grid_code:
        where.append(OpsCase.grid_code == grid_code)
    # The earliest due come first, so overdue cases lead; then those without a limit.
    order: list[Any] = [OpsCase.due_at.asc().nulls_last()] if overdue_first else []
    order.append(OpsCase.id.desc())
    size = max(1, min(size, 200))
    stmt = select(OpsCase).where(*where).order_by(*order).offset((page - 1) * size).limit(size)
    items = list(db_session.scalars(stmt))
    total = db_session.scalar(select(func.count()).select_from(OpsCase).where(*where)) or 0
    return Queue(items, total)


def my_reports(*, db_session: Session, viewer: User) -> list[OpsCase]:
    ids = select(OpsReport.case_id).where(OpsReport.reporter_user_id == viewer.id)
    return list(
        db_session.scalars(select(OpsCase).where(OpsCase.id.in_(ids)).order_by(OpsCase.id.desc()))
    )


def hot_spots(
    *, db_session: Session, now: dt.datetime | None = None, limit: int = 50
) -> list[tuple[str, int, int]]:
    now = now or utcnow()
    overdue = func.sum(
        sql_case((and_(OpsCase.due_at < now, OpsCase.handled_at.is_(None)), 1), else_=0)
    )
    stmt = (
        select(OpsCase.grid_code, func.count(), overdue)
        .where(OpsCase.status.in_(OPEN_STATES), OpsCase.grid_code.is_not(None))
        .group_by(OpsCase.grid_code)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [(str(g), int(n), int(o or 0)) for g, n, o in db_session.execute(stmt)]


def category_list(settings: Settings) -> list[Category]:
    return list(categories(settings).values())


# --- routing rules ---------------------------------------------------------------------------


def _admin(actor: User) -> None:
    if not identity_service.is_admin(actor):
        raise PermissionDenied("Routing rules are edited by platform administrators.")


def _rule_read(rule: routing.Rule) -> RuleRead:
    return RuleRead(
        id=rule.id, source=rule.source, name=rule.name, department=rule.department,
        categories=list(rule.categories), area_codes=list(rule.areas),
        keywords=list(rule.keywords),
        hours=f"{rule.hours[0]:02d}-{rule.hours[1]:02d}" if rule.hours else "",
        grid_code=rule.grid,
    )  # fmt: skip


def list_rules(*, db_session: Session) -> list[RuleRead]:
    rows = db_session.scalars(
        select(OpsRoutingRule).order_by(OpsRoutingRule.position, OpsRoutingRule.id)
    )
    out = []
    for row in rows:
        read = _rule_read(routing.db_rule(row))
        out.append(read.model_copy(update={"position": row.position, "enabled": row.enabled}))
    return out + [_rule_read(r) for r in routing.file_rules()]


def _check_rule(db_session: Session, settings: Settings, body: RuleBody) -> None:
    for code in body.categories:
        get_category(settings, code, field="categories")
    try:
        identity_service.get_department(db_session=db_session, code=body.department)
    except NotFound as exc:
        raise ValidationFailed(f"department: {exc.message}", field="department") from None
    routing.parse_hours(body.hours)


def _fill(row: OpsRoutingRule, body: RuleBody, actor: User) -> None:
    row.name, row.position, row.enabled = body.name, body.position, body.enabled
    row.categories = json.dumps(body.categories, ensure_ascii=False)
    row.area_codes = json.dumps(body.area_codes, ensure_ascii=False)
    row.keywords = json.dumps(body.keywords, ensure_ascii=False)
    row.hours, row.department, row.grid_code = body.hours, body.department, body.grid_code
    row.updated_by, row.updated_at = actor.username, utcnow()


def create_rule(
    *, db_session: Session, settings: Settings, actor: User, body: RuleBody
) -> OpsRoutingRule:
    _admin(actor)
    _check_rule(db_session, settings, body)
    if db_session.scalar(select(OpsRoutingRule).where(OpsRoutingRule.name == body.name)):
        raise Conflict(f"name: a rule named '{body.name}' exists; choose another.", field="name")
    row = OpsRoutingRule()
    _fill(row, body, actor)
    db_session.add(row)
    db_session.flush()
    audit_service.record(
        db_session, actor=actor, action="ops.rule_create", object_type="ops_routing_rule",
        object_id=str(row.id), detail=body.model_dump(),
    )  # fmt: skip
    return row


def _rule(db_session: Session, rule_id: int) -> OpsRoutingRule:
    row = db_session.get(OpsRoutingRule, rule_id)
    if row is None:
        raise NotFound(f"rule_id: no routing rule {rule_id}.", field="rule_id")
    return row


def update_rule(
    *, db_session: Session, settings: Settings, actor: User, rule_id: int, body: RuleBody
) -> OpsRoutingRule:
    _admin(actor)
    row = _rule(db_session, rule_id)
    _check_rule(db_session, settings, body)
    _fill(row, body, actor)
    db_session.flush()
    audit_service.record(
        db_session, actor=actor, action="ops.rule_update", object_type="ops_routing_rule",
        object_id=str(row.id), detail=body.model_dump(),
    )  # fmt: skip
    return row


def delete_rule(*, db_session: Session, actor: User, rule_id: int) -> None:
    _admin(actor)
    row = _rule(db_session, rule_id)
    db_session.delete(row)
    audit_service.record(
        db_session, actor=actor, action="ops.rule_delete", object_type="ops_routing_rule",
        object_id=str(rule_id), detail={"name": row.name},
    )  # fmt: skip
    db_session.flush()


def test_route(
    *,
    db_session: Session,
    settings: Settings,
    category: str,
    text: str,
    lon: float | None,
    lat: float | None,
    at: dt.datetime | None = None,
) -> tuple[routing.Routing, str | None, str | None]:
    """The test bench: where would this report go, by which rule (nothing is written)."""
    place = locate(db_session, lon, lat)
    found = routing.route(
        db_session, settings, category=category, text=text, district_code=place.district_code,
        street_code=place.street_code, grid_code=place.grid_code, at=at or utcnow(),
    )  # fmt: skip
    return found, place.district_code, place.street_code


def indicator_scope(*, viewer: User, department: str | None) -> str | None:
    """City-wide roles see every department's figures; others their own department's."""
    if viewer.role == Role.applicant.value:
        raise PermissionDenied("Indicators are for staff.")
    if viewer.role in views.CITY_WIDE:
        return department
    if department and department != viewer.department_code:
        raise PermissionDenied(
            f"department: you may see {viewer.department_code}'s figures only.", field="department"
        )
    return viewer.department_code
