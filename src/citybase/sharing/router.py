"""Sharing API under /api/sharing: requests, decisions, grants and the data tracker.

Thin: authenticate, parse, call the service, commit, return the schema. Reading rows under a
grant is the data hub's data API (``/api/datahub/datasets/{name}/rows``), not here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request

from citybase.identity.deps import CurrentUser, SessionDep
from citybase.settings import Settings
from citybase.sharing import service
from citybase.sharing.schemas import (
    ApproveBody,
    GrantRead,
    LookupBody,
    ReasonBody,
    RequestCreate,
    RequestMove,
    RequestRead,
    TrackerRead,
)
from citybase.web.openapi import IdPath

router = APIRouter(prefix="/api/sharing", tags=["sharing (一网通用)"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _data_dir(request: Request) -> Path:
    return Path(_settings(request).data_dir)


@router.post("/requests", response_model=RequestRead, status_code=201)
def file_request(
    body: RequestCreate, request: Request, user: CurrentUser, db_session: SessionDep
) -> RequestRead:
    """File a request. The answer's ``status`` says what happened: ``granted`` (无条件共享),
    ``pending`` (the owner decides), or ``refused`` (不予共享, with the reason)."""
    req = service.file_request(
        db_session=db_session,
        data_dir=_data_dir(request),
        settings=_settings(request),
        actor=user,
        data=body,
    )
    db_session.commit()
    return service.request_read(db_session, req)


@router.get("/requests", response_model=list[RequestRead])
def list_requests(
    user: CurrentUser,
    db_session: SessionDep,
    box: Literal["mine", "incoming"] = "mine",
    status: str | None = None,
) -> list[RequestRead]:
    """``mine``: your department's requests; ``incoming``: requests for its datasets."""
    rows = service.list_requests(db_session=db_session, viewer=user, box=box, status=status)
    return [service.request_read(db_session, r) for r in rows]


@router.get("/requests/{request_id}", response_model=RequestRead)
def get_request(request_id: IdPath, user: CurrentUser, db_session: SessionDep) -> RequestRead:
    req = service.get_request(db_session=db_session, viewer=user, request_id=request_id)
    return service.request_read(db_session, req)


@router.get("/requests/{request_id}/history", response_model=list[RequestMove])
def request_history(
    request: Request, request_id: IdPath, user: CurrentUser, db_session: SessionDep
) -> list[RequestMove]:
    """Every workflow move of the request, oldest first: who, when, from, to, why."""
    req = service.get_request(db_session=db_session, viewer=user, request_id=request_id)
    return service.request_history(db_session=db_session, request=req, settings=_settings(request))


@router.post("/requests/{request_id}/approve", response_model=GrantRead)
def approve(
    request_id: IdPath,
    body: ApproveBody,
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
) -> GrantRead:
    """The owning department's data steward approves (may narrow); a reason is required."""
    grant = service.approve_request(
        db_session=db_session,
        settings=_settings(request),
        data_dir=_data_dir(request),
        actor=user,
        request_id=request_id,
        decision=body,
    )
    db_session.commit()
    return service.grant_read(grant)


@router.post("/requests/{request_id}/reject", response_model=RequestRead)
def reject(
    request: Request,
    request_id: IdPath,
    body: ReasonBody,
    user: CurrentUser,
    db_session: SessionDep,
) -> RequestRead:
    req = service.reject_request(
        db_session=db_session,
        actor=user,
        request_id=request_id,
        reason=body.reason,
        settings=_settings(request),
    )
    db_session.commit()
    return service.request_read(db_session, req)


@router.post("/requests/{request_id}/extend", response_model=RequestRead)
def extend(
    request: Request,
    request_id: IdPath,
    body: ReasonBody,
    user: CurrentUser,
    db_session: SessionDep,
) -> RequestRead:
    """The owning department extends its decision time limit (延期), with a reason."""
    req = service.extend_request(
        db_session=db_session,
        actor=user,
        request_id=request_id,
        reason=body.reason,
        settings=_settings(request),
    )
    db_session.commit()
    return service.request_read(db_session, req)


@router.post("/requests/{request_id}/withdraw", response_model=RequestRead)
def withdraw(
    request: Request, request_id: IdPath, user: CurrentUser, db_session: SessionDep
) -> RequestRead:
    req = service.withdraw_request(
        db_session=db_session, actor=user, request_id=request_id, settings=_settings(request)
    )
    db_session.commit()
    return service.request_read(db_session, req)


@router.get("/grants", response_model=list[GrantRead])
def list_grants(
    user: CurrentUser, db_session: SessionDep, box: Literal["mine", "incoming"] = "mine"
) -> list[GrantRead]:
    return [
        service.grant_read(g)
        for g in service.list_grants(db_session=db_session, viewer=user, box=box)
    ]


@router.get("/grants/{grant_id}", response_model=GrantRead)
def get_grant(grant_id: IdPath, user: CurrentUser, db_session: SessionDep) -> GrantRead:
    return service.grant_read(
        service.get_grant(db_session=db_session, viewer=user, grant_id=grant_id)
    )


@router.post("/grants/{grant_id}/revoke", response_model=GrantRead)
def revoke(
    grant_id: IdPath, body: ReasonBody, user: CurrentUser, db_session: SessionDep
) -> GrantRead:
    grant = service.revoke_grant(
        db_session=db_session, actor=user, grant_id=grant_id, reason=body.reason
    )
    db_session.commit()
    return service.grant_read(grant)


@router.get("/tracker/me", response_model=TrackerRead)
def my_tracker(request: Request, user: CurrentUser, db_session: SessionDep) -> TrackerRead:
    """Which departments read records about you, when and why (your linked ID number)."""
    result = service.lookup_for_citizen(
        db_session=db_session, data_dir=_data_dir(request), actor=user
    )
    db_session.commit()
    return result


@router.post("/tracker/lookup", response_model=TrackerRead)
def lookup(
    body: LookupBody, request: Request, user: CurrentUser, db_session: SessionDep
) -> TrackerRead:
    """An officer looks up a citizen's tracker for them, with a purpose (audited)."""
    result = service.lookup_on_behalf(
        db_session=db_session,
        data_dir=_data_dir(request),
        settings=_settings(request),
        actor=user,
        id_number=body.id_number,
        purpose=body.purpose,
    )
    db_session.commit()
    return result
