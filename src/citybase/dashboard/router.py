"""The dashboard's API: layouts, one layout's definition and its widgets' data."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from citybase.dashboard import service
from citybase.dashboard.widgets import ResultCache
from citybase.errors import ValidationFailed
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.web.i18n import request_locale

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])

LayoutKey = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Layout key.")]


@router.get("/layouts", summary="Dashboard layouts you may open")
def list_layouts(request: Request, user: CurrentUser) -> list[dict[str, Any]]:
    locale = request_locale(request)
    return [
        {
            "key": lay.key,
            "title": lay.title(locale),
            "department": lay.department,
            "area": lay.area,
            "url": f"/dashboard/{lay.key}",
        }
        for lay in service.layouts_for(settings=request.app.state.settings, user=user)
    ]


@router.get("/{layout}", summary="One layout: its grid, placements and widgets")
def get_layout(request: Request, layout: LayoutKey, user: CurrentUser) -> dict[str, Any]:
    found = service.open_layout(settings=request.app.state.settings, user=user, key=layout)
    return service.layout_definition(found, user, request_locale(request))


def parse_keys(widgets: str | None) -> list[str] | None:
    if widgets is None:
        return None
    keys = [k.strip() for k in widgets.split(",") if k.strip()]
    if not keys or len(keys) > 100:
        raise ValidationFailed(
            "widgets: give 1–100 widget keys separated by commas.", field="widgets"
        )
    return keys


@router.get(
    "/{layout}/data",
    summary="The layout's widgets' data, for you (first paint)",
    response_class=JSONResponse,
    responses={200: {"content": {"application/json": {}}}},
)
def layout_data(
    request: Request,
    layout: LayoutKey,
    user: CurrentUser,
    db_session: SessionDep,
    widgets: Annotated[
        str | None, Query(max_length=4000, description="Only these widget keys (comma list).")
    ] = None,
) -> Response:
    """Each widget's ``data`` (or ``error``) and ``last_event_id``: open the event stream
    with ``?after=`` that id and refetch a widget when one of its ``refresh_on`` events
    arrives."""
    settings = request.app.state.settings
    found = service.open_layout(settings=settings, user=user, key=layout)
    data = service.layout_data(
        db_session=db_session,
        settings=settings,
        user=user,
        layout=found,
        locale=request_locale(request),
        keys=parse_keys(widgets),
        cache=result_cache(request),
    )
    # Widget data is plain JSON already: dump it directly (FastAPI's encoder walks every
    # coordinate of the map's GeoJSON, several times slower for the first paint).
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return Response(body, media_type="application/json")


def result_cache(request: Request) -> ResultCache:
    """One cache per app (so two apps on two databases, as in tests, never share one)."""
    state = request.app.state
    cache: ResultCache | None = getattr(state, "dashboard_cache", None)
    if cache is None:
        cache = state.dashboard_cache = ResultCache()
    return cache
