"""Geo HTTP API: areas, GeoJSON export, locate, import (admins), grid workers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from citybase.errors import NotFound
from citybase.geo import service
from citybase.geo.enums import Level
from citybase.geo.models import Area
from citybase.geo.schemas import (
    AreaDetail,
    AreaRead,
    AreaRef,
    GridWorkerCreate,
    GridWorkerRead,
    ImportReportRead,
    LocationRead,
)
from citybase.identity.deps import AdminUser, CurrentUser, SessionDep
from citybase.web.openapi import body_types

router = APIRouter(prefix="/api/geo", tags=["geo"])

Lon = Annotated[float, Query(ge=-180, le=180, description="Longitude, WGS84 degrees.")]
Lat = Annotated[float, Query(ge=-90, le=90, description="Latitude, WGS84 degrees.")]


@router.get("/areas", response_model=list[AreaRead])
def list_areas(
    user: CurrentUser,
    db_session: SessionDep,
    level: Level | None = None,
    parent: Annotated[str | None, Query(description="Only the children of this code.")] = None,
) -> list[Area]:
    """Areas (without geometry), ordered by code."""
    return service.list_areas(db_session=db_session, level=level, parent_code=parent)


@router.get("/areas/{code}", response_model=AreaDetail)
def get_area(code: str, user: CurrentUser, db_session: SessionDep) -> AreaDetail:
    """One area with its parents, children and GeoJSON geometry."""
    area = service.get_area(db_session=db_session, code=code)
    feature = service.area_feature(area)
    return AreaDetail(
        **AreaRead.model_validate(area).model_dump(),
        parents=[
            AreaRef.model_validate(a) for a in service.ancestors(db_session=db_session, area=area)
        ],
        children=[
            AreaRef.model_validate(a) for a in service.children(db_session=db_session, area=area)
        ],
        geometry=feature["geometry"],
    )


@router.get("/locate", response_model=LocationRead)
def locate(lon: Lon, lat: Lat, user: CurrentUser, db_session: SessionDep) -> LocationRead:
    """The district, street and grid containing a point; 404 when it is outside the city."""
    found = service.locate(db_session=db_session, lon=lon, lat=lat)
    if found is None:
        raise NotFound(
            f"The point ({lon}, {lat}) is outside every district, street and grid of the "
            "city. Check the coordinates are WGS84 longitude, latitude (in that order).",
            code="outside_city",
        )
    return LocationRead.model_validate(
        {
            "lon": lon,
            "lat": lat,
            "district": found.district,
            "street": found.street,
            "grid": found.grid,
        }
    )


@router.post("/import", response_model=ImportReportRead)
def import_geojson(
    user: AdminUser,
    db_session: SessionDep,
    feature_collection: Annotated[dict[str, Any], Body(description="A GeoJSON FeatureCollection")],
    level: Annotated[Level | None, Query(description="Level of every feature.")] = None,
) -> ImportReportRead:
    """Create or update areas by code. All or nothing: any problem → 422, nothing written."""
    report = service.import_geojson(
        db_session=db_session, actor=user, feature_collection=feature_collection, level=level
    )
    db_session.commit()
    return ImportReportRead(
        created=len(report.created),
        updated=len(report.updated),
        unchanged=len(report.unchanged),
        levels=report.levels,
        created_codes=report.created,
        updated_codes=report.updated,
    )


@router.get("/grids/{code}/workers", response_model=list[GridWorkerRead])
def list_grid_workers(
    code: str,
    user: CurrentUser,
    db_session: SessionDep,
    purpose: Annotated[str | None, Query(max_length=500)] = None,
) -> list[GridWorkerRead]:
    """A grid's workers (audited read; mobiles masked unless dispatcher or admin)."""
    rows = service.grid_workers(db_session=db_session, viewer=user, grid_code=code, purpose=purpose)
    db_session.commit()
    return [GridWorkerRead.model_validate(r) for r in rows]


@router.post("/grids/{code}/workers", response_model=GridWorkerRead, status_code=201)
def assign_grid_worker(
    code: str, body: GridWorkerCreate, user: AdminUser, db_session: SessionDep
) -> GridWorkerRead:
    worker = service.assign_grid_worker(
        db_session=db_session,
        actor=user,
        grid_code=code,
        name=body.name,
        mobile=body.mobile,
        username=body.username,
    )
    db_session.commit()
    return GridWorkerRead(
        id=worker.id,
        grid_code=code,
        name=worker.name,
        mobile=worker.mobile,
        username=worker.user.username if worker.user is not None else None,
    )


@router.get("/{level}.geojson", responses=body_types("application/geo+json"))
def level_geojson(level: Level, user: CurrentUser, db_session: SessionDep) -> JSONResponse:
    """Every area of one level as a GeoJSON FeatureCollection (re-importable as is)."""
    return JSONResponse(
        service.area_geojson(db_session=db_session, level=level),
        media_type="application/geo+json",
    )
