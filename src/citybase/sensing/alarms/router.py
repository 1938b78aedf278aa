"""Alarm rules and alarms over HTTP (a citybase extension beside the SensorThings API)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from citybase.errors import ValidationFailed
from citybase.identity.deps import AdminUser, CurrentUser, SessionDep
from citybase.sensing.alarms import admin
from citybase.sensing.store import GRAINS, now_ms, parse_time

router = APIRouter(prefix="/sta/v1.1", tags=["sensing"])


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"The body is not valid JSON: {exc}.", field="body") from None


@router.get("/AlarmRules")
def list_rules(user: CurrentUser, db_session: SessionDep) -> dict[str, Any]:
    from sqlalchemy import select

    from citybase.sensing.models import AlarmRule

    rules = db_session.scalars(select(AlarmRule).order_by(AlarmRule.id))
    return {"value": [admin.rule_doc(r) for r in rules]}


@router.post("/AlarmRules", status_code=201)
async def create_rule(request: Request, user: AdminUser, db_session: SessionDep) -> Any:
    body = await _json(request)

    def work() -> dict[str, Any]:
        rule = admin.create_rule(db_session, actor=user, body=body)
        db_session.commit()
        return admin.rule_doc(rule)

    return await run_in_threadpool(work)


@router.get("/AlarmRules/{rule_id}")
def get_rule(rule_id: int, user: CurrentUser, db_session: SessionDep) -> dict[str, Any]:
    return admin.rule_doc(admin.get_rule(db_session, rule_id))


@router.patch("/AlarmRules/{rule_id}")
async def update_rule(
    rule_id: int, request: Request, user: AdminUser, db_session: SessionDep
) -> Any:
    body = await _json(request)

    def work() -> dict[str, Any]:
        rule = admin.update_rule(db_session, actor=user, rule_id=rule_id, body=body)
        db_session.commit()
        return admin.rule_doc(rule)

    return await run_in_threadpool(work)


@router.delete("/AlarmRules/{rule_id}")
def delete_rule(rule_id: int, user: AdminUser, db_session: SessionDep) -> Response:
    admin.delete_rule(db_session, actor=user, rule_id=rule_id)
    db_session.commit()
    return Response(status_code=200)


@router.post("/AlarmRules/DryRun")
async def dry_run(
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
    start: Annotated[str | None, Query(description="ISO time; default 30 days ago")] = None,
    end: Annotated[str | None, Query(description="ISO time; default now")] = None,
) -> Any:
    """How often would this rule have fired? Replays stored observations; changes nothing."""
    body = await _json(request)
    end_ms = parse_time(end, "end")[0] if end else now_ms()
    start_ms = parse_time(start, "start")[0] if start else end_ms - 30 * GRAINS["day"]

    def work() -> dict[str, Any]:
        return admin.dry_run(db_session, body=body, start_ms=start_ms, end_ms=end_ms)

    return await run_in_threadpool(work)


@router.get("/Alarms")
def list_alarms(
    user: CurrentUser,
    db_session: SessionDep,
    state: Annotated[str | None, Query(description="active or cleared")] = None,
) -> dict[str, Any]:
    return {"value": [admin.alarm_doc(a) for a in admin.list_alarms(db_session, state=state)]}
