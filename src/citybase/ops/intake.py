"""Intake (受理): one report from any channel → located, classified, checked for duplicates,
and (when sure enough) registered and dispatched by the routing rules at once."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citybase.db import utcnow
from citybase.errors import ValidationFailed
from citybase.events import publish
from citybase.geo import service as geo_service
from citybase.identity.models import User
from citybase.ops import classify_adapter, flow
from citybase.ops.duplicates import Duplicate, find_duplicates
from citybase.ops.events import CaseCreated
from citybase.ops.models import OpsCase, OpsReport
from citybase.ops.schemas import IntakeBody
from citybase.ops.settings import OpsSettings
from citybase.ops.taxonomy import get_category
from citybase.settings import Settings
from citybase.workflow import service as workflow_service
from citybase.workflow.models import WorkflowInstance


@dataclass
class IntakeResult:
    case: OpsCase
    created: bool
    duplicates: list[Duplicate] = field(default_factory=list)


@dataclass(frozen=True)
class Place:
    lon: float | None
    lat: float | None
    district_code: str | None
    street_code: str | None
    grid_code: str | None


def locate(db_session: Session, lon: float | None, lat: float | None) -> Place:
    if lon is None and lat is None:
        return Place(None, None, None, None, None)
    if lon is None or lat is None:
        missing = "lat" if lon is not None else "lon"
        raise ValidationFailed(f"{missing}: give both lon and lat (WGS84).", field=missing)
    found = geo_service.locate(db_session=db_session, lon=lon, lat=lat)
    if found is None:
        raise ValidationFailed(
            f"lon: the point ({lon}, {lat}) is outside the city's districts; check the point "
            "(WGS84 longitude, latitude) or choose it on the map.",
            field="lon",
        )
    return Place(
        lon, lat,
        found.district.code if found.district else None,
        found.street.code if found.street else None,
        found.grid.code if found.grid else None,
    )  # fmt: skip


def existing_for_key(db_session: Session, key: str | None) -> OpsCase | None:
    if not key:
        return None
    report = db_session.scalar(select(OpsReport).where(OpsReport.idempotency_key == key))
    return db_session.get(OpsCase, report.case_id) if report is not None else None


def intake(
    db_session: Session,
    *,
    settings: Settings,
    ops: OpsSettings,
    actor: User | None,
    body: IntakeBody,
    alarm_id: int | None = None,
    auto: bool | None = None,
) -> IntakeResult:
    """Open a case from one report. A repeated ``idempotency_key`` returns the first case."""
    found = existing_for_key(db_session, body.idempotency_key)
    if found is not None:
        return IntakeResult(found, created=False)
    at = body.at or utcnow()
    if body.category is not None:
        get_category(settings, body.category)
    place = locate(db_session, body.lon, body.lat)
    suggestions = [] if body.category else classify_adapter.classify([body.text], settings)[0]
    category = body.category
    if category is None and suggestions and suggestions[0].confidence >= ops.classify_threshold:
        category = suggestions[0].category
    case = OpsCase(
        status="received", channel=body.channel.value, text=body.text, category=category,
        needs_category=category is None,
        candidates=json.dumps([s.__dict__ for s in suggestions], ensure_ascii=False),
        lon=place.lon, lat=place.lat, address=body.address,
        district_code=place.district_code, street_code=place.street_code,
        grid_code=place.grid_code, alarm_id=alarm_id, created_at=at, updated_at=at,
    )  # fmt: skip
    report = OpsReport(
        channel=body.channel.value, text=body.text,
        reporter_name="" if body.anonymous else body.reporter_name,
        reporter_phone="" if body.anonymous else body.reporter_phone,
        reporter_user_id=actor.id if actor is not None else None, anonymous=body.anonymous,
        lon=place.lon, lat=place.lat, address=body.address, external_ref=body.external_ref,
        idempotency_key=body.idempotency_key or None,
        created_by=actor.username if actor is not None else "system", created_at=at,
    )  # fmt: skip
    try:
        with db_session.begin_nested():
            db_session.add(case)
            db_session.flush()
            report.case_id = case.id
            db_session.add(report)
            db_session.flush()
    except IntegrityError:
        again = existing_for_key(db_session, body.idempotency_key)
        if again is None:
            raise
        return IntakeResult(again, created=False)
    inst = workflow_service.start(
        db_session=db_session, workflow=flow.WORKFLOW, subject_type=flow.SUBJECT,
        subject_id=case.id, departments={}, actor=actor, settings=settings, at=at,
    )  # fmt: skip
    publish(db_session, CaseCreated(**flow.facts(case)))
    dups = find_duplicates(
        db_session, ops, category=category, text=body.text, lon=place.lon, lat=place.lat,
        at=at, exclude=case.id,
    )  # fmt: skip
    if (ops.auto_dispatch if auto is None else auto) and category is not None and not dups:
        dispatch_by_rules(db_session, case=case, settings=settings, at=at, instance=inst)
    return IntakeResult(case, created=True, duplicates=dups)


def dispatch_by_rules(
    db_session: Session,
    *,
    case: OpsCase,
    settings: Settings,
    at: dt.datetime,
    instance: WorkflowInstance | None = None,
) -> OpsCase:
    """立案 and 派遣 by the platform: the routing rules choose department and grid."""
    assert case.category is not None
    return flow.move(
        db_session, case=case, action="register_and_dispatch", actor=None, settings=settings,
        at=at, instance=instance,
    )  # fmt: skip
