"""Assessment pages under /assess: list and trends, one result, comparison, 4A outlines."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from citybase.assess import charts, service
from citybase.assess.architecture import SECTIONS
from citybase.assess.framework import AXES
from citybase.assess.inputs import load_request
from citybase.assess.platform import platform_framework
from citybase.assess.report import Localiser, chart_set, format_number
from citybase.errors import ValidationFailed
from citybase.identity.deps import SessionDep, require_roles
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.web.i18n import request_locale
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)
Planner = Annotated[User, Depends(require_roles(Role.analyst))]
MAX_UPLOAD = 5 * 1024 * 1024


def _loc(request: Request) -> Localiser:
    return Localiser(platform_framework(request.app.state.settings), request_locale(request))


@router.get("/assess")
def index_page(
    request: Request, user: Planner, db_session: SessionDep, city: str | None = None
) -> Response:
    rows = service.list_assessments(db_session=db_session)
    cities = sorted({r.city_code for r in rows})
    focus = city or (
        max(cities, key=lambda c: sum(r.city_code == c for r in rows)) if cities else None
    )
    loc = _loc(request)
    trend = None
    mine = [r for r in rows if r.city_code == focus]
    if len(mine) > 1:
        trend = charts.trend_svg(
            [r.period for r in mine],
            {
                "I": [r.bte_index for r in mine],
                **{
                    f"{a} {loc.axis(a)}": [getattr(r, f"axis_{a.lower()}") for r in mine]
                    for a in AXES
                },
            },
        )
    peers = service.list_peers(db_session=db_session)
    return render(
        request,
        "assess/index.html",
        {
            "rows": rows,
            "focus": focus,
            "focus_name": next((r.city_name for r in mine if r.city_name), focus),
            "trend": trend,
            "peers": peers,
            "peer_periods": sorted({p.period for p in peers}),
            "domains": list(loc.fw.domains),
            "loc": loc,
        },
    )


@router.post("/assess/run")
async def run_page(
    request: Request,
    user: Planner,
    db_session: SessionDep,
    file: Annotated[UploadFile, File()],
    city: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
    live: Annotated[bool, Form()] = False,
    replace: Annotated[bool, Form()] = False,
) -> Response:
    """Run an uploaded YAML, CSV or XLSX file (values only; files it names are refused)."""
    name = Path(file.filename or "input.yaml").name
    if Path(name).suffix.lower() not in (".yaml", ".yml", ".csv", ".xlsx"):
        raise ValidationFailed("Upload a .yaml, .csv or .xlsx file.", field="file")
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise ValidationFailed("The file is larger than 5 MB.", field="file")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        request_obj = load_request(path, city=city or None, period=period or None)
    spec = request_obj.spec
    if spec.values_file or spec.peers_file or spec.framework or spec.actions:
        raise ValidationFailed(
            "An uploaded file cannot name other files; put values and peers in the file itself.",
            field="file",
        )
    if live:
        spec.live = True
    row = service.run_assessment(
        db_session=db_session,
        actor=user,
        request=request_obj,
        settings=request.app.state.settings,
        replace=replace,
    )
    db_session.commit()
    return RedirectResponse(f"/assess/{row.id}", status_code=303)


@router.get("/assess/compare")
def compare_page(
    request: Request,
    user: Planner,
    db_session: SessionDep,
    city: str,
    base: Annotated[str, Query()],
    target: Annotated[str, Query()],
) -> Response:
    diff = service.compare_periods(
        db_session=db_session, city_code=city, base_period=base, target_period=target
    )
    return render(request, "assess/compare.html", {"d": diff, "loc": _loc(request), "axes": AXES})


@router.get("/assess/architecture/{city_code}/{domain}")
def architecture_page(
    request: Request,
    city_code: str,
    domain: str,
    user: Planner,
    db_session: SessionDep,
    regenerate: bool = False,
) -> Response:
    content = service.get_architecture(
        db_session=db_session,
        viewer=user,
        city_code=city_code,
        domain=domain,
        settings=request.app.state.settings,
        locale=request_locale(request),
        regenerate=regenerate,
    )
    return render(
        request,
        "assess/architecture.html",
        {"a": content, "sections": SECTIONS, "loc": _loc(request), "city_code": city_code},
    )


def _lines_to_items(text: str) -> list[dict[str, Any]]:
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, detail = line.partition("|")
        items.append({"name": name.strip(), "detail": detail.strip(), "source": "edited"})
    return items


@router.post("/assess/architecture/{city_code}/{domain}")
async def architecture_save(
    request: Request, city_code: str, domain: str, user: Planner, db_session: SessionDep
) -> Response:
    form = await request.form()
    sections = {s: _lines_to_items(str(form.get(s, ""))) for s in SECTIONS}
    service.save_architecture(
        db_session=db_session,
        actor=user,
        city_code=city_code,
        domain=domain,
        sections=sections,
        settings=request.app.state.settings,
    )
    db_session.commit()
    return RedirectResponse(f"/assess/architecture/{city_code}/{domain}", status_code=303)


@router.get("/assess/{assessment_id}")
def detail_page(
    request: Request, assessment_id: int, user: Planner, db_session: SessionDep
) -> Response:
    row = service.get_assessment(db_session=db_session, assessment_id=assessment_id)
    loc = _loc(request)
    history = service.history(db_session=db_session, city_code=row.city_code)
    earlier = [r["period"] for r in history if r["period"] < row.period]
    return render(
        request,
        "assess/detail.html",
        {
            "row": row,
            "r": row.result,
            "fw": loc.fw,
            "loc": loc,
            "charts": chart_set(row.result, loc, history),
            "axes": AXES,
            "previous": earlier[-1] if earlier else None,
            "num": format_number,
        },
    )
