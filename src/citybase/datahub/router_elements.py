"""Data elements (一数一源) and the high-frequency common data report under /api/datahub."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from citybase.datahub import service
from citybase.datahub.elements import binding_read
from citybase.datahub.router import data_dir_of
from citybase.datahub.schemas import (
    BindingCreate,
    BindingRead,
    ConsistencyReport,
    ElementCreate,
    ElementRead,
    UsageReport,
)
from citybase.db import utcnow
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.web.openapi import IdPath

router = APIRouter(prefix="/api/datahub", tags=["datahub: elements and usage"])


@router.get("/usage/high-frequency", response_model=UsageReport)
def high_frequency(
    user: CurrentUser,
    db_session: SessionDep,
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    include_owner: bool = True,
) -> UsageReport:
    """Elements and datasets ranked by how many departments read them, then how often."""
    until = utcnow().date()
    return service.high_frequency(
        db_session=db_session,
        since=until - dt.timedelta(days=days),
        until=until,
        limit=limit,
        include_owner=include_owner,
    )


# --- elements ----------------------------------------------------------------------------


@router.get("/elements", response_model=list[ElementRead])
def list_elements(user: CurrentUser, db_session: SessionDep) -> list[ElementRead]:
    return [
        service.element_read(db_session=db_session, element=e)
        for e in service.list_elements(db_session=db_session)
    ]


@router.post("/elements", response_model=ElementRead, status_code=201)
def create_element(body: ElementCreate, user: CurrentUser, db_session: SessionDep) -> ElementRead:
    element = service.create_element(db_session=db_session, actor=user, data=body)
    db_session.commit()
    return service.element_read(db_session=db_session, element=element)


@router.get("/elements/{code}", response_model=ElementRead)
def get_element(code: str, user: CurrentUser, db_session: SessionDep) -> ElementRead:
    return service.element_read(
        db_session=db_session, element=service.get_element(db_session=db_session, code=code)
    )


@router.post("/elements/{code}/bindings", response_model=BindingRead, status_code=201)
def bind(code: str, body: BindingCreate, user: CurrentUser, db_session: SessionDep) -> BindingRead:
    """Bind a dataset column to the element as its authority or a replica."""
    binding = service.bind_column(db_session=db_session, actor=user, code=code, data=body)
    db_session.commit()
    return binding_read(binding)


@router.delete("/elements/{code}/bindings/{binding_id}", status_code=204)
def unbind(code: str, binding_id: IdPath, user: CurrentUser, db_session: SessionDep) -> Response:
    service.unbind(db_session=db_session, actor=user, code=code, binding_id=binding_id)
    db_session.commit()
    return Response(status_code=204)


@router.get("/elements/{code}/consistency", response_model=ConsistencyReport)
def consistency(
    code: str, request: Request, user: CurrentUser, db_session: SessionDep
) -> ConsistencyReport:
    """Compare every replica with the authority by key: counts and mismatching samples."""
    report = service.check_consistency(
        db_session=db_session, data_dir=data_dir_of(request), actor=user, code=code
    )
    db_session.commit()
    return report
