"""Audit API (admins) and the audit page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.orm import Session

from citybase.audit import service
from citybase.errors import ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.deps import SessionDep, require_roles
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.web.i18n import request_locale, translate
from citybase.web.templating import render

router = APIRouter(prefix="/api/audit", tags=["audit"])
pages = APIRouter(include_in_schema=False)

Auditor = Annotated[User, Depends(require_roles(Role.dept_admin))]


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    lane: int
    seq: int
    at: dt.datetime
    actor_name: str
    department_code: str | None
    action: str
    object_type: str
    object_id: str
    purpose: str | None
    request_id: str | None
    detail: dict[str, Any]
    hash: str

    @field_validator("detail", mode="before")
    @classmethod
    def _parse(cls, v: object) -> object:
        return json.loads(v) if isinstance(v, str) else v


class VerifyRead(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None
    first_broken_id: int | None = None
    lane: int | None = None
    lanes: int = 0
    reason: str | None


@router.get("/records", response_model=list[AuditRead])
def records(
    user: Auditor,
    db_session: SessionDep,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> list[AuditRead]:
    """Audit records, newest first, filtered by object and/or actor. Keyset: ``before_id``
    (the ``id`` of the last record of the previous page)."""
    rows = service.query(
        db_session=db_session,
        viewer=user,
        object_type=object_type,
        object_id=object_id,
        actor=actor,
        action=action,
        limit=limit,
        before_id=before_id,
    )
    return [AuditRead.model_validate(r) for r in rows]


@router.get("/verify", response_model=VerifyRead)
def verify_chain(
    user: Annotated[User, Depends(require_roles(Role.platform_admin))], db_session: SessionDep
) -> VerifyRead:
    r = service.verify(db_session=db_session)
    return VerifyRead(
        ok=r.ok,
        checked=r.checked,
        first_broken_seq=r.first_broken_seq,
        first_broken_id=r.first_broken_id,
        lane=r.lane,
        lanes=r.lanes,
        reason=r.reason,
    )


EXPORT_MAX = 100_000


def _day_bounds(
    request: Request, since: dt.date | None, until: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Calendar days in the city's time zone → the instants that bound them (until inclusive)."""
    zone = ZoneInfo(request.app.state.settings.worktime_timezone)
    if since and until and until < since:
        raise ValidationFailed(
            "until: the last day comes before the first", field="until", zh="结束日期早于开始日期。"
        )
    start = dt.datetime.combine(since, dt.time(), zone) if since else None
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone) if until else None
    return start, end


def _department_names(db_session: Session, locale: str) -> dict[str, str]:
    return {
        d.code: d.name(locale)
        for d in identity_service.list_departments(db_session=db_session, active_only=False)
    }


@pages.get("/audit")
def audit_page(
    request: Request,
    user: Auditor,
    db_session: SessionDep,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    start, end = _day_bounds(request, since, until)
    rows = service.query(
        db_session=db_session,
        viewer=user,
        object_id=object_id or None,
        actor=actor or None,
        action=action or None,
        limit=100,
        before_id=before_id,
        since=start,
        until=end,
    )
    verify = service.verify(db_session=db_session) if user.role == Role.platform_admin else None
    filters = {
        "object_id": object_id or "",
        "actor": actor or "",
        "action": action or "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    return render(
        request,
        "audit/audit.html",
        {
            "rows": rows,
            "verify": verify,
            "filters": filters,
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "actions": service.recent_actions(db_session=db_session, viewer=user),
            "departments": _department_names(db_session, request_locale(request)),
        },
    )


@pages.get("/audit/export.csv")
def audit_export(
    request: Request,
    user: Auditor,
    db_session: SessionDep,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Response:
    """The filtered records as CSV (UTF-8 with BOM, opens in Excel and WPS), newest first, at
    most 100,000; the export itself is audited."""
    start, end = _day_bounds(request, since, until)
    rows = service.query(
        db_session=db_session,
        viewer=user,
        object_id=object_id or None,
        actor=actor or None,
        action=action or None,
        limit=EXPORT_MAX,
        max_limit=EXPORT_MAX,
        since=start,
        until=end,
    )
    locale = request_locale(request)
    names = _department_names(db_session, locale)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            translate(locale, k)
            for k in (
                "audit.id",
                "audit.at",
                "audit.actor",
                "audit.department",
                "audit.action",
                "audit.action_code",
                "audit.object",
                "audit.purpose",
                "audit.request",
                "audit.hash",
            )
        ]
    )
    for r in rows:
        label = translate(locale, f"audit.action.{r.action}")
        writer.writerow(
            [
                r.id,
                r.at.isoformat(),
                csv_safe(r.actor_name),
                names.get(r.department_code or "", r.department_code or ""),
                label if label != f"audit.action.{r.action}" else r.action,
                r.action,
                csv_safe(f"{r.object_type}:{r.object_id}"),
                csv_safe(r.purpose or ""),
                r.request_id or "",
                r.hash,
            ]
        )
    service.record(
        db_session,
        actor=user,
        action="audit.export",
        object_type="audit",
        object_id="records",
        detail={
            "rows": len(rows),
            "filters": {
                "object_id": object_id,
                "actor": actor,
                "action": action,
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
            },
        },
    )
    db_session.commit()
    stamp = dt.date.today().strftime("%Y%m%d")
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


def csv_safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula is prefixed with an apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
