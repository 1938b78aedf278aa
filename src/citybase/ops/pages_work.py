"""Ops pages for those who work the cases: the dispatcher's workbench (queue, bulk dispatch,
map), the case page with its moves, and the grid worker's patrol and verify page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from citybase.errors import CitybaseError, PermissionDenied, ValidationFailed
from citybase.identity import service as identity_service
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.ops import channels, photos, service
from citybase.ops.enums import OPEN_STATES, Channel
from citybase.ops.pages_common import (
    city_map,
    error_of,
    labels,
    number,
    require_staff,
    settings_of,
    text,
    upload,
)
from citybase.ops.schemas import IntakeBody
from citybase.ops.settings import get_ops_settings
from citybase.web.i18n import request_locale
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)
#: What each move may carry from its form, besides the reason.
MOVE_FIELDS = ("department", "grid_code", "category", "result", "satisfaction", "hours")
MERGERS = frozenset({Role.dispatcher.value, Role.call_taker.value, Role.platform_admin.value})
MERGEABLE = ("received", "registered", "dispatched")
PHOTO_STAGE = {"handle": "handled", "confirm": "verify", "send_back": "verify"}


def _departments(db_session: Any, locale: str) -> list[tuple[str, str]]:
    return list(channels.department_names(db_session, locale).items())


@router.get("/ops/queue")
def queue(
    request: Request, user: CurrentUser, db_session: SessionDep, status: str = "",
    department: str = "", category: str = "", grid_code: str = "", page: int = 1,
    done: int = 0,
) -> Response:  # fmt: skip
    """派遣工作台: open cases, overdue first; filters; bulk dispatch; the map of the page."""
    require_staff(user)
    settings = settings_of(request)
    found = service.list_cases(
        db_session=db_session, viewer=user, status=[status] if status else None,
        department=department or None, category=category or None,
        grid_code=grid_code or None, open_only=not status, page=max(page, 1), size=50,
    )  # fmt: skip
    items = [service.case_read(db_session, c, settings, user) for c in found.items]
    locale = request_locale(request)
    return render(
        request, "ops/queue.html",
        {**labels(request), "items": items, "total": found.total, "page": page,
         "f": {"status": status, "department": department, "category": category,
               "grid_code": grid_code},
         "departments": _departments(db_session, locale), "done": done,
         "states": OPEN_STATES,
         "map": city_map(db_session, markers=items),
         "may_dispatch": user.role in (Role.dispatcher.value, Role.platform_admin.value)},
    )  # fmt: skip


@router.post("/ops/queue/dispatch")
async def bulk_dispatch(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    """Dispatch the ticked cases: received ones are registered first; the department is
    the one chosen, or the routing rules' (all or nothing: one refusal writes none)."""
    form = await request.form()
    settings = settings_of(request)
    ids = [int(v) for v in form.getlist("case_id") if isinstance(v, str) and v.isdigit()]
    department = text(form, "department") or None
    try:
        if not ids:
            raise ValidationFailed("case_id: tick at least one case to dispatch.", field="case_id")
        for cid in ids:
            case = service.get_case(db_session=db_session, viewer=user, case_id=cid)
            if case.status == "received":
                service.move(db_session=db_session, settings=settings, actor=user, case_id=cid,
                             action="register")  # fmt: skip
            service.move(
                db_session=db_session, settings=settings, actor=user, case_id=cid,
                action="dispatch", data={"department": department} if department else {},
            )  # fmt: skip
        db_session.commit()
    except CitybaseError as exc:
        db_session.rollback()
        return render(request, "error.html", {"error": exc}, status_code=exc.status)
    return RedirectResponse(f"/ops/queue?done={len(ids)}", status_code=303)


def _case_page(
    request: Request, user: User, db_session: Any, case_id: int, error: Any = None
) -> Response:
    settings = settings_of(request)
    case = service.get_case(db_session=db_session, viewer=user, case_id=case_id)
    detail = service.case_detail(db_session, case, settings, user)
    db_session.commit()  # the audit record of reading reporters' data
    locale = request_locale(request)
    moves = [
        {"action": a, "requires": channels.move_requires(settings, a)}
        for a in detail.allowed_actions
    ]
    return render(
        request, "ops/case.html",
        {**labels(request), "c": detail, "moves": moves, "error": error,
         "departments": _departments(db_session, locale),
         "staff": user.role != Role.applicant.value,
         "may_merge": user.role in MERGERS and detail.status in MERGEABLE,
         "map": city_map(db_session, point=(detail.lon, detail.lat))
         if detail.lon is not None and detail.lat is not None else None},
        status_code=int(error["status"]) if error else 200,
    )  # fmt: skip


@router.get("/ops/cases/{case_id}")
def case_page(request: Request, case_id: int, user: CurrentUser, db_session: SessionDep) -> Any:
    return _case_page(request, user, db_session, case_id)


def _move_data(form: Any) -> dict[str, object]:
    data: dict[str, object] = {}
    for key in MOVE_FIELDS:
        value = text(form, key)
        if value:
            data[key] = number(form, key) if key == "hours" else value
    return data


@router.post("/ops/cases/{case_id}/act")
async def act(request: Request, case_id: int, user: CurrentUser, db_session: SessionDep) -> Any:
    """One move from its button's form, with photos of the result or of the verification."""
    form = await request.form()
    settings = settings_of(request)
    action = text(form, "action")
    ops = get_ops_settings()
    try:
        files = await upload(form, "photo", ops.photo_max_bytes)
        case = service.move(
            db_session=db_session, settings=settings, actor=user, case_id=case_id,
            action=action, reason=text(form, "reason") or None, data=_move_data(form),
        )  # fmt: skip
        for content in files:
            photos.add_photo(
                db_session, case=case, actor=user, content=content,
                stage=PHOTO_STAGE.get(action, "handled"), data_dir=Path(settings.data_dir),
                max_bytes=ops.photo_max_bytes,
            )  # fmt: skip
        db_session.commit()
    except (CitybaseError, ValidationError) as exc:
        db_session.rollback()
        return _case_page(request, user, db_session, case_id, error_of(exc))
    back = text(form, "next")
    target = back if back.startswith("/ops/") else f"/ops/cases/{case_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/ops/cases/{case_id}/reply")
async def reply(request: Request, case_id: int, user: CurrentUser, db_session: SessionDep) -> Any:
    form = await request.form()
    try:
        words = text(form, "text")
        if len(words) < 2:
            raise ValidationFailed("text: write the reply (at least 2 characters).", field="text")
        service.reply(db_session=db_session, actor=user, case_id=case_id, text=words)
        db_session.commit()
    except CitybaseError as exc:
        db_session.rollback()
        return _case_page(request, user, db_session, case_id, error_of(exc))
    return RedirectResponse(f"/ops/cases/{case_id}", status_code=303)


@router.post("/ops/cases/{case_id}/merge")
async def merge(request: Request, case_id: int, user: CurrentUser, db_session: SessionDep) -> Any:
    """合并: this case's reports join another case; every reporter then gets its replies."""
    form = await request.form()
    try:
        into = number(form, "into")
        if into is None:
            raise ValidationFailed("into: give the number of the case to merge into.", field="into")
        target = service.merge(
            db_session=db_session, settings=settings_of(request), actor=user, case_id=case_id,
            into=int(into), reason=text(form, "reason") or "重复上报，合并办理",
        )  # fmt: skip
        db_session.commit()
    except CitybaseError as exc:
        db_session.rollback()
        return _case_page(request, user, db_session, case_id, error_of(exc))
    return RedirectResponse(f"/ops/cases/{target.id}", status_code=303)


# --- grid workers ------------------------------------------------------------------------


def _grid_worker(user: User) -> None:
    if user.role not in (Role.grid_worker.value, Role.dispatcher.value) and not (
        identity_service.is_admin(user)
    ):
        raise PermissionDenied("The patrol page is for grid workers.")


def _patrol_page(
    request: Request, user: User, db_session: Any, values: dict[str, Any], **extra: Any
) -> Response:
    settings = settings_of(request)
    tasks = service.list_cases(db_session=db_session, viewer=user, status=["handled"], size=50)
    status = int(extra["error"]["status"]) if extra.get("error") else 200
    return render(
        request, "ops/patrol.html",
        {**labels(request), "v": values, "map": city_map(db_session),
         "tasks": [service.case_read(db_session, c, settings, user) for c in tasks.items],
         **extra},
        status_code=status,
    )  # fmt: skip


@router.get("/ops/patrol")
def patrol(request: Request, user: CurrentUser, db_session: SessionDep, sent: int = 0) -> Any:
    """巡查上报 (photo, location, category) and 核查 tasks: cases handled, to verify."""
    _grid_worker(user)
    return _patrol_page(request, user, db_session, {}, sent=sent)


@router.post("/ops/patrol")
async def patrol_submit(request: Request, user: CurrentUser, db_session: SessionDep) -> Any:
    _grid_worker(user)
    form = await request.form()
    settings, ops = settings_of(request), get_ops_settings()
    values = {k: text(form, k) for k in ("text", "lon", "lat", "category")}
    try:
        files = await upload(form, "photo", ops.photo_max_bytes)
        body = IntakeBody(
            channel=Channel.grid, text=values["text"], lon=number(form, "lon"),
            lat=number(form, "lat"), category=values["category"] or None,
            reporter_name=user.display_name, idempotency_key=text(form, "form_key") or None,
        )  # fmt: skip
        result = service.intake(db_session=db_session, settings=settings, actor=user, body=body)
        for content in files if result.created else []:
            photos.add_photo(
                db_session, case=result.case, actor=user, content=content, stage="report",
                data_dir=Path(settings.data_dir), max_bytes=ops.photo_max_bytes,
            )  # fmt: skip
        db_session.commit()
    except (CitybaseError, ValidationError) as exc:
        db_session.rollback()
        return _patrol_page(request, user, db_session, values, error=error_of(exc))
    return RedirectResponse(f"/ops/patrol?sent={result.case.id}", status_code=303)
