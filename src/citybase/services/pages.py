"""Services pages: the citizen portal (find a service, apply, preview evidence, track,
certificates), the public verify page and the staff pages (queue, review with the trace,
statistics). Forms post back here; errors re-render the page with the message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from citybase.errors import CitybaseError
from citybase.identity.deps import CurrentUser, OptionalUser, SessionDep
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.services import bundles, casework, issuing
from citybase.services import service as svc
from citybase.services.ruletests import library
from citybase.settings import Settings
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _error(exc: CitybaseError) -> dict[str, Any]:
    return {"message": exc.message, "field": exc.field, "status": exc.status}


def _text(form: Any, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


@router.get("/services")
def portal(request: Request, user: CurrentUser, db_session: SessionDep, q: str = "") -> Response:
    if user.role != Role.applicant:
        return RedirectResponse("/services/staff", status_code=303)
    settings = _settings(request)
    items = (
        svc.search_items(q=q, db_session=db_session, settings=settings)
        if q.strip()
        else svc.list_items(db_session=db_session, settings=settings)
    )
    cat = library(settings).catalogue
    bundle_rows = [(b, bundles.after_figures(b, cat)) for b in svc.load_bundles(settings)]
    apps = [
        svc.application_read(db_session=db_session, app=a, viewer=None, settings=settings)
        for a in casework.mine(db_session=db_session, applicant=user)
    ]
    certs = [issuing.to_read(c) for c in svc.list_certificates(db_session=db_session, holder=user)]
    return render(
        request,
        "services/portal.html",
        {
            "items": items,
            "q": q,
            "bundles": bundle_rows,
            "apps": apps,
            "certs": certs,
        },
    )


@router.get("/services/items/{code}")
def item_page(request: Request, code: str, user: CurrentUser, db_session: SessionDep) -> Response:
    item = svc.get_item(code=code, db_session=db_session, settings=_settings(request))
    return render(request, "services/item.html", {"item": item, "error": None, "form": {}})


@router.post("/services/items/{code}/apply")
async def apply(request: Request, code: str, user: CurrentUser, db_session: SessionDep) -> Response:
    form = await request.form()
    settings = _settings(request)
    item = svc.get_item(code=code, db_session=db_session, settings=settings)
    values = {f: _text(form, f"form.{f}") for f in item.form_fields}
    try:
        app = svc.start_application(
            db_session=db_session,
            settings=settings,
            data_dir=Path(settings.data_dir),
            actor=user,
            item_code=code,
            form=values,
            id_number=_text(form, "id_number") or None,
        )
    except CitybaseError as exc:
        db_session.rollback()
        return render(
            request,
            "services/item.html",
            {"item": item, "error": _error(exc), "form": values},
            status_code=exc.status,
        )
    db_session.commit()
    return RedirectResponse(f"/services/applications/{app.id}", status_code=303)


def _detail(
    request: Request, db_session: Any, user: User, app_id: int, error: dict[str, Any] | None = None
) -> Response:
    settings = _settings(request)
    app = svc.get_application(db_session=db_session, viewer=user, application_id=app_id)
    read = svc.application_read(
        db_session=db_session, app=app, viewer=user, settings=settings, with_history=True
    )
    db_session.commit()
    return render(
        request,
        "services/application.html",
        {
            "a": read,
            "error": error,
            "staff": user.role != Role.applicant,
        },
        status_code=error["status"] if error else 200,
    )


@router.get("/services/applications/{app_id}")
def application_page(
    request: Request, app_id: int, user: CurrentUser, db_session: SessionDep
) -> Response:
    return _detail(request, db_session, user, app_id)


@router.post("/services/applications/{app_id}/submit")
async def submit(
    request: Request, app_id: int, user: CurrentUser, db_session: SessionDep
) -> Response:
    form = await request.form()
    app = svc.get_application(db_session=db_session, viewer=user, application_id=app_id)
    read = svc.application_read(
        db_session=db_session, app=app, viewer=None, settings=_settings(request)
    )
    consent = {
        p["material"]: _text(form, f"consent.{p['material']}") == "agree"
        for p in read.evidence
        if p["status"] == "fetched"
    }
    try:
        svc.submit_application(
            db_session=db_session,
            settings=_settings(request),
            actor=user,
            application_id=app_id,
            consent=consent,
        )
    except CitybaseError as exc:
        db_session.rollback()
        return _detail(request, db_session, user, app_id, _error(exc))
    db_session.commit()
    return RedirectResponse(f"/services/applications/{app_id}", status_code=303)


@router.post("/services/applications/{app_id}/act")
async def act(request: Request, app_id: int, user: CurrentUser, db_session: SessionDep) -> Response:
    form = await request.form()
    try:
        if _text(form, "action") == "rate":
            svc.rate(
                db_session=db_session,
                actor=user,
                application_id=app_id,
                rating=int(_text(form, "rating") or 0),
                reason=_text(form, "reason"),
            )
        else:
            svc.act(
                db_session=db_session,
                settings=_settings(request),
                actor=user,
                application_id=app_id,
                action=_text(form, "action"),
                reason=_text(form, "reason"),
            )
    except CitybaseError as exc:
        db_session.rollback()
        return _detail(request, db_session, user, app_id, _error(exc))
    db_session.commit()
    return RedirectResponse(f"/services/applications/{app_id}", status_code=303)


@router.get("/services/certificates/{cert_id}")
def certificate_page(
    request: Request, cert_id: str, user: CurrentUser, db_session: SessionDep
) -> Response:
    cert = svc.get_certificate(db_session=db_session, viewer=user, cert_id=cert_id)
    return render(
        request,
        "services/certificate.html",
        {
            "c": issuing.to_read(cert),
            "qr": issuing.qr_svg(cert.token),
        },
    )


@router.get("/services/verify")
def verify_page(request: Request, user: OptionalUser) -> Response:
    return render(request, "services/verify.html", {"result": None, "token": ""})


@router.post("/services/verify")
async def verify_post(request: Request, user: OptionalUser, db_session: SessionDep) -> Response:
    form = await request.form()
    token = _text(form, "token")
    result = svc.verify_token(db_session=db_session, settings=_settings(request), token=token)
    return render(request, "services/verify.html", {"result": result, "token": token})


@router.get("/services/staff")
def staff(
    request: Request, user: CurrentUser, db_session: SessionDep, status: str = ""
) -> Response:
    if user.role == Role.applicant:
        return RedirectResponse("/services", status_code=303)
    settings = _settings(request)
    apps = [
        svc.application_read(db_session=db_session, app=a, viewer=None, settings=settings)
        for a in svc.queue(db_session=db_session, viewer=user, status=status or None)
    ]
    dept = None if user.role == Role.platform_admin else user.department_code
    return render(
        request,
        "services/staff.html",
        {
            "apps": apps,
            "status": status,
            "today": svc.today_figures(db_session, department=dept),
            "indicators": svc.live_indicators(db_session=db_session, settings=settings),
        },
    )
