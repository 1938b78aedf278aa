"""Audit API (admins) and the audit page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, field_validator

from citybase.audit import service
from citybase.identity.deps import SessionDep, require_roles
from citybase.identity.enums import Role
from citybase.identity.models import User
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


@pages.get("/audit")
def audit_page(
    request: Request,
    user: Auditor,
    db_session: SessionDep,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    rows = service.query(
        db_session=db_session,
        viewer=user,
        object_id=object_id or None,
        actor=actor or None,
        action=action or None,
        limit=100,
        before_id=before_id,
    )
    verify = service.verify(db_session=db_session) if user.role == Role.platform_admin else None
    return render(
        request,
        "audit/audit.html",
        {
            "rows": rows,
            "verify": verify,
            "filters": {"object_id": object_id, "actor": actor, "action": action},
        },
    )
