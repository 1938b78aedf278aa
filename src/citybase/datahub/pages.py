"""Data hub pages: catalog with search and facets, dataset page, create/edit and upload forms,
element registry with consistency reports, high-frequency data report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from citybase.datahub import forms, service
from citybase.datahub.enums import FREQUENCY_LABELS, OPEN_LABELS, SHARING_LABELS
from citybase.datahub.pages_privacy import classification_context
from citybase.datahub.rules import without_samples
from citybase.datahub.schemas import DatasetCreate, DatasetUpdate
from citybase.datahub.types import RowQuery
from citybase.db import utcnow
from citybase.errors import CitybaseError
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.web.i18n import request_locale
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)
PREVIEW_ROWS = 20


def _data_dir(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir)


def _labels(locale: str) -> dict[str, Any]:
    i = 1 if locale == "en" else 0
    return {
        "sharing": {k.value: v[i] for k, v in SHARING_LABELS.items()},
        "open": {k.value: v[i] for k, v in OPEN_LABELS.items()},
        "frequency": {k.value: v[i] for k, v in FREQUENCY_LABELS.items()},
        "themes": {t.code: t.name(locale) for t in service.themes()},
        "licences": {x.id: x.title(locale) for x in service.licences()},
    }


@router.get("/datahub")
def catalog_page(
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    department: str | None = None,
    theme: str | None = None,
    sharing_type: str | None = None,
    open_type: str | None = None,
    format: str | None = None,
    sort: str = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    locale = request_locale(request)
    per_page = 20
    results = service.search_datasets(
        db_session=db_session,
        viewer=user,
        q=q,
        department=department or None,
        theme=theme or None,
        sharing_type=sharing_type or None,
        open_type=open_type or None,
        format=format or None,
        sort=sort if sort in ("relevance", "updated", "title") else "relevance",
        offset=(page - 1) * per_page,
        limit=per_page,
        locale=locale,
    )
    active = {
        k: v
        for k, v in {
            "q": q,
            "department": department,
            "theme": theme,
            "sharing_type": sharing_type,
            "open_type": open_type,
            "format": format,
            "sort": sort if sort != "relevance" else None,
        }.items()
        if v
    }
    return render(
        request,
        "datahub/catalog.html",
        {
            "results": results,
            "active": active,
            "page": page,
            "pages": max(1, -(-results.total // per_page)),
            "labels": _labels(locale),
            "may_create": user.role in ("data_steward", "platform_admin"),
        },
    )


@router.get("/datahub/new")
def new_dataset_form(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    return render(
        request, "datahub/edit.html", forms.form_context(request, db_session, user, dataset=None)
    )


@router.post("/datahub/new")
async def new_dataset(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    values = await forms.read_form(request)
    try:
        data = DatasetCreate.model_validate(values)
        ds = service.create_dataset(db_session=db_session, actor=user, data=data)
        db_session.commit()
    except (ValidationError, CitybaseError) as exc:
        db_session.rollback()
        ctx = forms.form_context(
            request, db_session, user, dataset=None, values=values, error=forms.message(exc)
        )
        return render(request, "datahub/edit.html", ctx, status_code=forms.status(exc))
    return RedirectResponse(f"/datahub/datasets/{ds.name}", status_code=303)


@router.get("/datahub/datasets/{name}")
def dataset_page(
    request: Request, name: str, user: CurrentUser, db_session: SessionDep
) -> Response:
    locale = request_locale(request)
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    readable = service.can_read(user, ds, db_session=db_session)
    versions = service.list_versions(db_session=db_session, dataset=ds)
    current = next((v for v in versions if v.number == ds.current_version), None)
    detail = service.version_detail(ds, current, with_values=readable) if current else None
    quality, checked_at = service.latest_quality(ds)
    if quality is not None and not readable:
        quality = without_samples(quality)
    preview = None
    settings = request.app.state.settings
    rows_readable = readable or service.can_read_rows(
        user, ds, db_session=db_session, settings=settings
    )
    if rows_readable and current is not None:
        try:
            preview = service.read_rows(
                db_session=db_session,
                data_dir=_data_dir(request),
                viewer=user,
                name=ds.name,
                query=RowQuery(limit=PREVIEW_ROWS),
                purpose="数据目录预览 catalog preview",
                channel="page",
                settings=settings,
            ).page
            db_session.commit()
        except CitybaseError as exc:
            db_session.rollback()
            preview = None
            request.state.preview_error = exc.message
    sources, derived = service.lineage(db_session=db_session, dataset=ds)
    from citybase.datahub.elements import binding_read

    return render(
        request,
        "datahub/dataset.html",
        {
            "ds": service.to_read(db_session, ds, locale=locale),
            "versions": [service.version_read(ds, v) for v in versions],
            "detail": detail,
            "quality": quality,
            "quality_checked_at": checked_at,
            "rules": service.rules_of(db_session=db_session, dataset=ds),
            "rules_yaml": forms.rules_yaml(service.rules_of(db_session=db_session, dataset=ds)),
            "bindings": [
                binding_read(b)
                for b in service.bindings_of_dataset(db_session=db_session, dataset=ds)
            ],
            "sources": sources,
            "derived": derived,
            "usage": service.dataset_usage(db_session=db_session, dataset=ds),
            "preview": preview,
            "preview_error": getattr(request.state, "preview_error", None),
            "readable": readable,
            "editable": service.can_edit(user, ds),
            "labels": _labels(locale),
            "api_base": f"/api/datahub/datasets/{ds.name}",
            "quality_text": service.quality_text,
            "rule_kinds": service.rule_kinds(locale),
            "rolled_back": _rolled_back(request),
            "held_back": bool(ds.held_back),
            **classification_context(db_session, user, ds, settings),
        },
    )


def _rolled_back(request: Request) -> int | None:
    """The version the rollback form just made current (for the notice), if any."""
    raw = request.query_params.get("rolled_back", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@router.get("/datahub/datasets/{name}/edit")
def edit_form(request: Request, name: str, user: CurrentUser, db_session: SessionDep) -> Response:
    ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
    from citybase.datahub.access import ensure_can_edit

    ensure_can_edit(user, ds, what="edit")
    return render(
        request, "datahub/edit.html", forms.form_context(request, db_session, user, dataset=ds)
    )


@router.post("/datahub/datasets/{name}/edit")
async def edit_dataset(
    request: Request, name: str, user: CurrentUser, db_session: SessionDep
) -> Response:
    values = await forms.read_form(request)
    values.pop("name", None)
    values.pop("department_code", None)
    try:
        data = DatasetUpdate.model_validate(values)
        service.update_dataset(db_session=db_session, actor=user, name=name, data=data)
        db_session.commit()
    except (ValidationError, CitybaseError) as exc:
        db_session.rollback()
        ds = service.get_dataset(db_session=db_session, name=name, viewer=user)
        ctx = forms.form_context(
            request, db_session, user, dataset=ds, values=values, error=forms.message(exc)
        )
        return render(request, "datahub/edit.html", ctx, status_code=forms.status(exc))
    return RedirectResponse(f"/datahub/datasets/{name}", status_code=303)


@router.post("/datahub/datasets/{name}/quality")
def run_quality(request: Request, name: str, user: CurrentUser, db_session: SessionDep) -> Response:
    service.run_quality(db_session=db_session, data_dir=_data_dir(request), actor=user, name=name)
    db_session.commit()
    return RedirectResponse(f"/datahub/datasets/{name}#quality", status_code=303)


@router.post("/datahub/datasets/{name}/rules")
def save_rules(
    request: Request,
    name: str,
    user: CurrentUser,
    db_session: SessionDep,
    rules_yaml: Annotated[str, Form()] = "",
) -> Response:
    rules = service.parse_rules_yaml(rules_yaml)
    service.set_rules(db_session=db_session, actor=user, name=name, rules=rules)
    db_session.commit()
    return RedirectResponse(f"/datahub/datasets/{name}#rules", status_code=303)


@router.get("/datahub/elements")
def elements_page(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    elements = [
        service.element_read(db_session=db_session, element=e)
        for e in service.list_elements(db_session=db_session)
    ]
    return render(request, "datahub/elements.html", {"elements": elements})


@router.get("/datahub/elements/{code}")
def element_page(
    request: Request, code: str, user: CurrentUser, db_session: SessionDep, check: bool = False
) -> Response:
    element = service.get_element(db_session=db_session, code=code)
    report, error = None, None
    if check:
        try:
            report = service.check_consistency(
                db_session=db_session, data_dir=_data_dir(request), actor=user, code=code
            )
            db_session.commit()
        except CitybaseError as exc:
            db_session.rollback()
            error = exc
    return render(
        request,
        "datahub/element.html",
        {
            "element": service.element_read(db_session=db_session, element=element),
            "report": report,
            "error": error,
        },
    )


@router.get("/datahub/usage")
def usage_page(
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
) -> Response:
    until = utcnow().date()
    report = service.high_frequency(
        db_session=db_session, since=until - dt.timedelta(days=days), until=until
    )
    return render(request, "datahub/usage.html", {"report": report, "days": days})
