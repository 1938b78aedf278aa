"""Sharing pages: my requests and grants, the request form, the owner's approval queue,
request and grant details, and the citizen's "who used my data" page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from citybase.datahub import service as datahub_service
from citybase.errors import CitybaseError, PermissionDenied, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.settings import Settings
from citybase.sharing import service
from citybase.sharing.grants import column_classes
from citybase.sharing.schemas import ApproveBody, RequestCreate
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _form_text(form: Any, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _date(text: str, field: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{field}: '{text}' is not a date (YYYY-MM-DD).", field=field
        ) from None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _error(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, CitybaseError):
        return {"message": exc.message, "field": exc.field, "status": exc.status}
    assert isinstance(exc, ValidationError)
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return {"message": f"{where}: {first['msg']}", "field": where, "status": 422}


def _is_owner(user: User, dataset_department_id: int) -> bool:
    return identity_service.is_admin(user) or (
        user.role == Role.data_steward and user.department_id == dataset_department_id
    )


@router.get("/sharing")
def index(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    if user.role == Role.applicant:
        return RedirectResponse("/sharing/tracker", status_code=303)
    requests = service.list_requests(db_session=db_session, viewer=user, box="mine")
    grants = service.list_grants(db_session=db_session, viewer=user, box="mine")
    given = service.list_grants(db_session=db_session, viewer=user, box="incoming")
    pending = service.list_requests(
        db_session=db_session, viewer=user, box="incoming", status="pending"
    )
    return render(
        request,
        "sharing/index.html",
        {
            "requests": [service.request_read(db_session, r) for r in requests],
            "grants": [service.grant_read(g) for g in grants],
            "given": [service.grant_read(g) for g in given],
            "pending": len(pending),
        },
    )


def _new_context(
    db_session: Any, user: User, name: str, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    ds = None
    columns: list[Any] = []
    if name:
        try:
            ds = datahub_service.get_dataset(db_session=db_session, name=name, viewer=user)
            columns = column_classes(db_session, ds)
        except CitybaseError:
            ds = None
    return {"ds": ds, "columns": columns, "dataset_name": name, "values": values or {}}


@router.get("/sharing/requests/new")
def new_request_form(
    request: Request, user: CurrentUser, db_session: SessionDep, dataset: str = ""
) -> Response:
    return render(request, "sharing/new.html", _new_context(db_session, user, dataset))


@router.post("/sharing/requests/new")
async def new_request(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    form = await request.form()
    name = _form_text(form, "dataset")
    values = {
        k: _form_text(form, k)
        for k in (
            "purpose",
            "legal_basis",
            "valid_from",
            "valid_until",
            "row_filter",
            "clear_columns",
        )
    }
    columns = [c for c in form.getlist("columns") if isinstance(c, str)]
    try:
        clear: dict[str, str] = {}
        for line in _lines(values["clear_columns"]):
            column, _, reason = line.partition("=")
            clear[column.strip()] = reason.strip()
        data = RequestCreate(
            dataset=name,
            purpose=values["purpose"],
            legal_basis=values["legal_basis"],
            valid_from=_date(values["valid_from"], "valid_from"),
            valid_until=_date(values["valid_until"], "valid_until"),
            columns=columns or None,
            row_filter=[datahub_service.parse_filter(f) for f in _lines(values["row_filter"])],
            clear_columns=clear,
        )
        req = service.file_request(
            db_session=db_session,
            data_dir=Path(_settings(request).data_dir),
            settings=_settings(request),
            actor=user,
            data=data,
        )
        db_session.commit()
    except (CitybaseError, ValidationError) as exc:
        db_session.rollback()
        error = _error(exc)
        ctx = {
            **_new_context(db_session, user, name, {**values, "columns": columns}),
            "error": error,
        }
        return render(request, "sharing/new.html", ctx, status_code=int(error["status"]))
    return RedirectResponse(f"/sharing/requests/{req.id}", status_code=303)


@router.get("/sharing/queue")
def queue(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    if user.department_id is None and user.role != Role.platform_admin:
        raise PermissionDenied(
            "The approval queue is for the staff of a department that owns datasets.",
            zh="共享审核队列仅供数据所属部门的工作人员使用。",
        )
    rows = service.list_requests(db_session=db_session, viewer=user, box="incoming")
    reads = [service.request_read(db_session, r) for r in rows]
    return render(
        request,
        "sharing/queue.html",
        {
            "pending": [r for r in reads if r.status == "pending"],
            "decided": [r for r in reads if r.status != "pending"],
        },
    )


def _request_page(
    request: Request,
    user: User,
    db_session: Any,
    request_id: int,
    error: dict[str, Any] | None = None,
) -> Response:
    req = service.get_request(db_session=db_session, viewer=user, request_id=request_id)
    read = service.request_read(db_session, req)
    moves = service.allowed_moves(
        db_session=db_session, viewer=user, request=req, settings=_settings(request)
    )
    columns = read.columns or [c.name for c in column_classes(db_session, req.dataset)]
    return render(
        request,
        "sharing/request.html",
        {
            "r": read,
            "columns": columns,
            "history": service.request_history(
                db_session=db_session, request=req, settings=_settings(request)
            ),
            "may_decide": "approve" in moves,
            "may_extend": "extend" in moves,
            "may_withdraw": "withdraw" in moves,
            "error": error,
        },
        status_code=int(error["status"]) if error else 200,
    )


@router.get("/sharing/requests/{request_id}")
def request_page(
    request: Request, request_id: int, user: CurrentUser, db_session: SessionDep
) -> Response:
    return _request_page(request, user, db_session, request_id)


@router.post("/sharing/requests/{request_id}/{action}")
async def decide(
    request: Request, request_id: int, action: str, user: CurrentUser, db_session: SessionDep
) -> Response:
    form = await request.form()
    reason = _form_text(form, "reason")
    try:
        if action == "approve":
            columns = [c for c in form.getlist("columns") if isinstance(c, str)]
            grant = service.approve_request(
                db_session=db_session,
                settings=_settings(request),
                data_dir=Path(_settings(request).data_dir),
                actor=user,
                request_id=request_id,
                decision=ApproveBody(
                    reason=reason,
                    columns=columns or None,
                    clear_columns=[c for c in form.getlist("clear") if isinstance(c, str)],
                    valid_until=_date(_form_text(form, "valid_until"), "valid_until"),
                ),
            )
            db_session.commit()
            return RedirectResponse(f"/sharing/grants/{grant.id}", status_code=303)
        if action == "reject":
            service.reject_request(
                db_session=db_session,
                actor=user,
                request_id=request_id,
                reason=reason,
                settings=_settings(request),
            )
        elif action == "extend":
            service.extend_request(
                db_session=db_session,
                actor=user,
                request_id=request_id,
                reason=reason,
                settings=_settings(request),
            )
        elif action == "withdraw":
            service.withdraw_request(
                db_session=db_session,
                actor=user,
                request_id=request_id,
                settings=_settings(request),
            )
        else:
            raise ValidationFailed(f"Unknown action '{action}'.", field="action")
        db_session.commit()
    except (CitybaseError, ValidationError) as exc:
        db_session.rollback()
        return _request_page(request, user, db_session, request_id, _error(exc))
    return RedirectResponse(f"/sharing/requests/{request_id}", status_code=303)


def _grant_page(
    request: Request,
    user: User,
    db_session: Any,
    grant_id: int,
    error: dict[str, Any] | None = None,
) -> Response:
    grant = service.get_grant(db_session=db_session, viewer=user, grant_id=grant_id)
    read = service.grant_read(grant)
    return render(
        request,
        "sharing/grant.html",
        {
            "g": read,
            "may_revoke": read.state != "revoked" and _is_owner(user, grant.dataset.department_id),
            "error": error,
        },
        status_code=int(error["status"]) if error else 200,
    )


@router.get("/sharing/grants/{grant_id}")
def grant_page(
    request: Request, grant_id: int, user: CurrentUser, db_session: SessionDep
) -> Response:
    return _grant_page(request, user, db_session, grant_id)


@router.post("/sharing/grants/{grant_id}/revoke")
async def revoke(
    request: Request, grant_id: int, user: CurrentUser, db_session: SessionDep
) -> Response:
    form = await request.form()
    try:
        service.revoke_grant(
            db_session=db_session, actor=user, grant_id=grant_id, reason=_form_text(form, "reason")
        )
        db_session.commit()
    except CitybaseError as exc:
        db_session.rollback()
        return _grant_page(request, user, db_session, grant_id, _error(exc))
    return RedirectResponse(f"/sharing/grants/{grant_id}", status_code=303)


@router.get("/sharing/tracker")
def tracker_page(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    ctx: dict[str, Any] = {"result": None, "error": None, "officer": user.role != Role.applicant}
    if user.role == Role.applicant:
        try:
            ctx["result"] = service.lookup_for_citizen(
                db_session=db_session, data_dir=Path(_settings(request).data_dir), actor=user
            )
            db_session.commit()
        except CitybaseError as exc:
            db_session.rollback()
            ctx["error"] = _error(exc)
    return render(request, "sharing/tracker.html", ctx)


@router.post("/sharing/tracker")
async def tracker_lookup(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    form = await request.form()
    ctx: dict[str, Any] = {"result": None, "error": None, "officer": True}
    try:
        ctx["result"] = service.lookup_on_behalf(
            db_session=db_session,
            data_dir=Path(_settings(request).data_dir),
            settings=_settings(request),
            actor=user,
            id_number=_form_text(form, "id_number"),
            purpose=_form_text(form, "purpose"),
        )
        db_session.commit()
    except CitybaseError as exc:
        db_session.rollback()
        ctx["error"] = _error(exc)
        return render(request, "sharing/tracker.html", ctx, status_code=exc.status)
    return render(request, "sharing/tracker.html", ctx)
