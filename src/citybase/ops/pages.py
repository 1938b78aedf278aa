"""Ops pages for those who report: the 12345 call-taker's form (with the caller lookup and
the while-typing check), the citizen's report page and "my reports"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError

from citybase.errors import CitybaseError, NotFound, PermissionDenied
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.ops import channels, photos, service
from citybase.ops.enums import Channel
from citybase.ops.pages_common import (
    HERE,
    area_names,
    city_map,
    error_of,
    labels,
    number,
    settings_of,
    text,
    upload,
)
from citybase.ops.schemas import IntakeBody
from citybase.ops.settings import get_ops_settings
from citybase.web.i18n import request_locale, translate
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)
CALL_TAKERS = frozenset({Role.call_taker.value, Role.dispatcher.value, Role.platform_admin.value})
HOME = {
    Role.call_taker.value: "/ops/intake",
    Role.dispatcher.value: "/ops/queue",
    Role.officer.value: "/ops/queue",
    Role.dept_admin.value: "/ops/queue",
    Role.grid_worker.value: "/ops/patrol",
    Role.applicant.value: "/ops/my",
    Role.analyst.value: "/ops/indicators",
    Role.platform_admin.value: "/ops/queue",
}


ASSETS = {"ops.js": "text/javascript", "ops.css": "text/css"}


@router.get("/ops/assets/{name}")
def ops_asset(name: str) -> Response:
    """The pages' own script and style (offline; the CSP allows scripts from this site)."""
    if name not in ASSETS:
        raise NotFound(f"name: no asset '{name}'.", field="name")
    return FileResponse(HERE / "templates" / "ops" / name, media_type=ASSETS[name])


@router.get("/ops")
def ops_home(user: CurrentUser) -> Response:
    return RedirectResponse(HOME.get(user.role, "/ops/queue"), status_code=303)


def _call_taker(user: User) -> None:
    if user.role not in CALL_TAKERS:
        raise PermissionDenied("The hotline form is for call-takers and dispatchers.")


def _intake_page(
    request: Request, db_session: Any, values: dict[str, Any], **extra: Any
) -> Response:
    status = int(extra["error"]["status"]) if extra.get("error") else 200
    ctx = {**labels(request), "v": values, "map": city_map(db_session), **extra}
    return render(request, "ops/intake.html", ctx, status_code=status)


@router.get("/ops/intake")
def intake_form(
    request: Request, user: CurrentUser, db_session: SessionDep, done: int | None = None
) -> Response:
    _call_taker(user)
    return _intake_page(request, db_session, {}, done=done)


FIELDS = ("reporter_phone", "reporter_name", "text", "address", "lon", "lat", "category")


@router.post("/ops/intake")
async def intake_submit(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    _call_taker(user)
    form = await request.form()
    values: dict[str, Any] = {k: text(form, k) for k in FIELDS}
    values["anonymous"] = bool(form.get("anonymous"))
    try:
        body = IntakeBody(
            channel=Channel.hotline, text=values["text"], lon=number(form, "lon"),
            lat=number(form, "lat"), address=values["address"],
            category=values["category"] or None, reporter_name=values["reporter_name"],
            reporter_phone=values["reporter_phone"], anonymous=values["anonymous"],
            idempotency_key=text(form, "form_key") or None,
        )  # fmt: skip
        result = service.intake(
            db_session=db_session, settings=settings_of(request), actor=user, body=body
        )
        db_session.commit()
    except (CitybaseError, ValidationError) as exc:
        db_session.rollback()
        return _intake_page(request, db_session, values, error=error_of(exc))
    return RedirectResponse(f"/ops/intake?done={result.case.id}", status_code=303)


def _coord(request: Request, key: str) -> float | None:
    try:
        return number(request.query_params, key)
    except CitybaseError:
        return None


@router.get("/ops/intake/check")
def intake_check(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    """While typing: the top 3 categories with confidence, the located area, duplicates."""
    if user.role not in CALL_TAKERS | {Role.grid_worker.value, Role.applicant.value}:
        raise PermissionDenied("The report check is for those who take reports in.")
    q = request.query_params
    found = channels.check_report(
        db_session=db_session, settings=settings_of(request), text=q.get("text", ""),
        lon=_coord(request, "lon"), lat=_coord(request, "lat"),
        category=q.get("category") or None,
    )  # fmt: skip
    place = found.place
    names = area_names(db_session, *(
        (place.district_code, place.street_code, place.grid_code) if place else ()))  # fmt: skip
    cats = dict(labels(request)["categories"])
    return render(
        request, "ops/_check.html",
        {"c": found, "names": names, "cats": cats, "staff": user.role != Role.applicant.value},
    )  # fmt: skip


@router.get("/ops/intake/caller")
def caller_lookup(
    request: Request, user: CurrentUser, db_session: SessionDep, reporter_phone: str = ""
) -> Response:
    """The caller's earlier reports by phone (audited)."""
    _call_taker(user)
    rows: list[channels.CallerReport] = []
    if len(reporter_phone.strip()) >= 5:
        rows = channels.reports_by_phone(db_session=db_session, viewer=user, phone=reporter_phone)
        db_session.commit()
    return render(request, "ops/_caller.html", {**labels(request), "rows": rows,
                  "asked": len(reporter_phone.strip()) >= 5})  # fmt: skip


# --- citizens ----------------------------------------------------------------------------


def _report_page(
    request: Request, db_session: Any, values: dict[str, Any], **extra: Any
) -> Response:
    status = int(extra["error"]["status"]) if extra.get("error") else 200
    ctx = {**labels(request), "v": values, "map": city_map(db_session), **extra}
    return render(request, "ops/report.html", ctx, status_code=status)


@router.get("/ops/report")
def report_form(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    return _report_page(request, db_session, {"reporter_name": user.display_name})


@router.post("/ops/report")
async def report_submit(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    """A citizen's report: text, photos, a point on the map, optional anonymity."""
    form = await request.form()
    ops = get_ops_settings()
    values: dict[str, Any] = {k: text(form, k) for k in FIELDS}
    values["anonymous"] = bool(form.get("anonymous"))
    settings = settings_of(request)
    try:
        files = await upload(form, "photo", ops.photo_max_bytes)
        body = IntakeBody(
            channel=Channel.web, text=values["text"], lon=number(form, "lon"),
            lat=number(form, "lat"), address=values["address"],
            category=values["category"] or None, reporter_name=values["reporter_name"],
            reporter_phone=values["reporter_phone"], anonymous=values["anonymous"],
            idempotency_key=text(form, "form_key") or None,
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
        return _report_page(request, db_session, values, error=error_of(exc))
    target = "/ops/my" if user.role == Role.applicant.value else f"/ops/cases/{result.case.id}"
    return RedirectResponse(f"{target}?sent={result.case.id}", status_code=303)


@router.get("/ops/my")
def my_reports(
    request: Request, user: CurrentUser, db_session: SessionDep, sent: int | None = None
) -> Response:
    """My reports: status and every reply (the reporter sees who handled it only as staff)."""
    settings = settings_of(request)
    cases = service.my_reports(db_session=db_session, viewer=user)
    rows = []
    for case in cases:
        detail = service.case_detail(db_session, case, settings, user)
        replies = [n for n in detail.notes if n.kind == "reply"]
        rows.append({"case": detail, "replies": replies})
    db_session.commit()
    locale = request_locale(request)
    return render(
        request, "ops/my.html",
        {**labels(request), "rows": rows, "sent": sent,
         "title": translate(locale, "ops.my.title")},
    )  # fmt: skip
