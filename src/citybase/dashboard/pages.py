"""The dashboard's pages: the screen (with carousel), the daily briefing, and its assets."""

from __future__ import annotations

import json
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from citybase.dashboard import briefing, service
from citybase.errors import NotFound
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.identity.models import User
from citybase.plugins import get_plugin_manager
from citybase.settings import Settings
from citybase.web.i18n import request_locale
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)
ASSETS = FsPath(__file__).parent / "static"
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css"}
LayoutKey = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]


@router.get("/dashboard/assets/{name}")
def asset(name: str) -> Response:
    path = ASSETS / name
    if "/" in name or path.suffix not in ASSET_TYPES or not path.is_file():
        raise NotFound(f"No dashboard asset '{name}'.", field="name")
    return FileResponse(
        path, media_type=ASSET_TYPES[path.suffix], headers={"Cache-Control": "no-cache"}
    )


def _default_layout(settings: Settings, user: User) -> str:
    mine = service.layouts_for(settings=settings, user=user)
    own = [lay for lay in mine if lay.department and lay.department == user.department_code]
    pick = own or mine
    if not pick:
        service.open_layout(settings=settings, user=user, key="city")  # raises the reason
    return pick[0].key


@router.get("/dashboard")
def dashboard_home(request: Request, user: CurrentUser) -> Response:
    key = _default_layout(request.app.state.settings, user)
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/dashboard/{key}{query}", status_code=303)


def _event_types() -> list[str]:
    types: set[str] = set()
    for batch in get_plugin_manager().hook.citybase_event_types():
        types.update(str(cls.event_type) for cls in batch or [])
    return sorted(types)


def _carousel(settings: Settings, user: User, given: str | None, current: str) -> list[str]:
    if not given:
        return []
    mine = [lay.key for lay in service.layouts_for(settings=settings, user=user)]
    if given == "all":
        return mine
    keys = [k.strip() for k in given.split(",") if k.strip()]
    for k in keys:
        service.open_layout(settings=settings, user=user, key=k)  # NotFound / refused, named
    return keys if current in keys else [current, *keys]


@router.get("/dashboard/{layout}")
def screen(
    request: Request,
    layout: LayoutKey,
    user: CurrentUser,
    carousel: Annotated[str | None, Query(max_length=1000)] = None,
    seconds: Annotated[int | None, Query(ge=5, le=3600)] = None,
) -> Response:
    settings = request.app.state.settings
    locale = request_locale(request)
    found = service.open_layout(settings=settings, user=user, key=layout)
    definition = service.layout_definition(found, user, locale)
    definition["event_types"] = _event_types()
    definition["locale"] = locale
    definition["carousel"] = _carousel(settings, user, carousel, found.key)
    definition["carousel_seconds"] = seconds or found.carousel_seconds
    others = service.layouts_for(settings=settings, user=user)
    return render(
        request,
        "dashboard/screen.html",
        {
            "layout": found,
            # inside <script type="application/json">: no "<" may close the element early
            "definition": json.dumps(definition, ensure_ascii=False).replace("<", "\\u003c"),
            "others": others,
        },
    )


@router.get("/dashboard/{layout}/briefing.{fmt}")
def daily_briefing(
    request: Request, layout: LayoutKey, fmt: str, user: CurrentUser, db_session: SessionDep
) -> Response:
    """日报: the day's figures and the map, as HTML, PDF or PNG."""
    settings = request.app.state.settings
    locale = request_locale(request)
    found = service.open_layout(settings=settings, user=user, key=layout)
    report = briefing.build(
        db_session=db_session, settings=settings, user=user, layout=found, locale=locale
    )
    html = briefing.render_html(request, report)
    if fmt == "html":
        return Response(html, media_type="text/html; charset=utf-8")
    filename = f"briefing-{found.key}-{report.today}"
    if fmt == "pdf":
        body, media = briefing.to_pdf(html), "application/pdf"
    elif fmt == "png":
        body, media = briefing.to_png(briefing.to_pdf(html)), "image/png"
    else:
        raise NotFound(f"No briefing format '{fmt}': use html, pdf or png.", field="fmt")
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )
