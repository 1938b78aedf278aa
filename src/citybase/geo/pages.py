"""Geo pages: the city grid map with a locate form, and one page per area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from citybase.geo import service
from citybase.geo.enums import Level
from citybase.geo.svg import render_map
from citybase.identity.deps import CurrentUser, SessionDep
from citybase.identity.enums import Role
from citybase.web.i18n import request_locale, translate
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/geo")
def map_page(
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
) -> Response:
    located = None
    asked = lon is not None and lat is not None
    if asked:
        assert lon is not None and lat is not None
        located = service.locate(db_session=db_session, lon=lon, lat=lat)
    index = service.spatial_index(db_session=db_session)
    view = render_map(
        index,
        highlight=located.finest.code if located else None,
        point=(lon, lat) if asked and lon is not None and lat is not None else None,
        label=translate(request_locale(request), "geo.title"),
    )
    return render(
        request,
        "geo/map.html",
        {
            "view": view,
            "lon": lon,
            "lat": lat,
            "asked": asked,
            "located": located,
        },
    )


@router.get("/geo/areas/{code}")
def area_page(request: Request, code: str, user: CurrentUser, db_session: SessionDep) -> Response:
    area = service.get_area(db_session=db_session, code=code)
    workers = None
    if area.level == Level.grid and user.role != Role.applicant:
        workers = service.grid_workers(
            db_session=db_session, viewer=user, grid_code=code, purpose="grid detail page"
        )
        db_session.commit()
    # The area among its neighbours: the parent's map with this area outlined in red.
    parent = area.parent_code
    view = render_map(
        service.spatial_index(db_session=db_session),
        within=parent or code,
        outline=code if parent else None,
        label=area.name,
        width=640,
        max_height=420,
    )
    return render(
        request,
        "geo/area.html",
        {
            "area": area,
            "parents": service.ancestors(db_session=db_session, area=area),
            "children": service.children(db_session=db_session, area=area),
            "workers": workers,
            "view": view,
        },
    )
