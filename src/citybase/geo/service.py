"""Geo service: the only door into areas, locating points and grid workers."""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.db import utcnow
from citybase.errors import NotFound, PermissionDenied, ValidationFailed
from citybase.geo import geojson
from citybase.geo.enums import LEVELS, Level
from citybase.geo.index import SpatialIndex, fingerprint, get_index
from citybase.geo.index import _database_key as database_key
from citybase.geo.models import Area, GeoState, GridWorker
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.identity.models import User

MAX_PROBLEMS_SHOWN = 20
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
# Roles that see a grid worker's full mobile number (they phone workers about cases).
FULL_MOBILE_ROLES = frozenset({Role.platform_admin, Role.dispatcher})

ProgressFn = Callable[[int, int], None]

# --- import ------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    levels: dict[str, int] = field(default_factory=dict)  # features per level

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)


def _raise_problems(problems: list[geojson.Problem]) -> None:
    shown = "; ".join(str(p) for p in problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    if more > 0:
        shown += f"; … and {more} more problem(s)"
    raise ValidationFailed(
        f"GeoJSON not imported (nothing was written): {shown}", field=problems[0].field
    )


def _stored_areas(db_session: Session, codes: Iterable[str]) -> dict[str, Area]:
    wanted = sorted(set(codes))
    found: dict[str, Area] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for area in db_session.scalars(select(Area).where(Area.code.in_(chunk))):
            found[area.code] = area
    return found


def import_geojson(
    *,
    db_session: Session,
    actor: User | None,
    feature_collection: object,
    level: Level | str | None = None,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Create or update areas (by code) from a FeatureCollection: all of it or nothing.

    Every feature is checked first (structure, closed rings, valid polygons, codes, levels,
    parents); if anything is wrong a ValidationFailed lists each problem by feature index
    and code, and nothing is written. ``actor=None`` means the system (CLI, demo).
    """
    if actor is not None and not identity_service.is_admin(actor):
        raise PermissionDenied("Only platform administrators may import city geography.")
    try:
        forced = Level(level) if level is not None else None
    except ValueError:
        raise ValidationFailed(
            f"level '{level}' is not one of district, street, grid.", field="level"
        ) from None
    features, problems = geojson.parse_features(feature_collection, level=forced)
    total = len(features) * 2
    if progress:
        progress(len(features), total)
    if problems:
        _raise_problems(problems)
    # Lock the geo state row before reading what is stored: imports run one at a time, so
    # this one sees every earlier import and its timestamps come after theirs.
    db_session.execute(update(GeoState).where(GeoState.id == 1).values(version=GeoState.version))
    codes = {f.code for f in features} | {f.parent_code for f in features if f.parent_code}
    stored = _stored_areas(db_session, codes)
    problems = geojson.check_hierarchy(features, {c: a.level for c, a in stored.items()})
    if problems:
        _raise_problems(problems)

    report = ImportReport()
    now = utcnow()
    done = len(features)
    for lvl in LEVELS:
        batch = [f for f in features if f.level is lvl]
        report.levels[str(lvl)] = len(batch)
        for f in batch:
            parent = stored[f.parent_code] if f.parent_code and lvl.parent_level else None
            area = stored.get(f.code)
            minx, miny, maxx, maxy = f.bbox
            values: dict[str, Any] = {
                "name": f.name,
                "parent_id": parent.id if parent is not None else None,
                "geometry": f.geometry_json,
                "min_lon": minx,
                "min_lat": miny,
                "max_lon": maxx,
                "max_lat": maxy,
            }
            if area is None:
                area = Area(code=f.code, level=str(lvl), area_m2=f.area_m2, **values)
                area.created_at = area.updated_at = now
                db_session.add(area)
                stored[f.code] = area
                report.created.append(f.code)
            elif any(getattr(area, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(area, k, v)
                area.area_m2 = f.area_m2
                area.updated_at = now
                report.updated.append(f.code)
            else:
                report.unchanged.append(f.code)
            done += 1
            if progress and done % 50 == 0:
                progress(done, total)
        db_session.flush()  # parents get ids before their children are written
    if report.created or report.updated:
        db_session.execute(
            update(GeoState).where(GeoState.id == 1).values(version=GeoState.version + 1)
        )
    if progress:
        progress(total, total)
    audit_service.record(
        db_session,
        actor=actor,
        action="geo.import",
        object_type="geo_area",
        object_id=f"{len(features)} features",
        detail={
            "created": report.created,
            "updated": report.updated,
            "unchanged": len(report.unchanged),
            "levels": report.levels,
        },
    )
    return report


# --- reading areas -----------------------------------------------------------------------


def get_area(*, db_session: Session, code: str) -> Area:
    area = db_session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(
            f"No area with code '{code}'. List codes with GET /api/geo/areas.", field="code"
        )
    return area


def list_areas(
    *, db_session: Session, level: Level | str | None = None, parent_code: str | None = None
) -> list[Area]:
    stmt = select(Area).order_by(Area.code)
    if level is not None:
        stmt = stmt.where(Area.level == str(Level(level)))
    if parent_code is not None:
        parent = get_area(db_session=db_session, code=parent_code)
        stmt = stmt.where(Area.parent_id == parent.id)
    return list(db_session.scalars(stmt))


def ancestors(*, db_session: Session, area: Area) -> list[Area]:
    """Parents from the top (district) down to the area's direct parent."""
    chain: list[Area] = []
    current = area.parent
    while current is not None and len(chain) < len(LEVELS):
        chain.append(current)
        current = current.parent
    return list(reversed(chain))


def children(*, db_session: Session, area: Area) -> list[Area]:
    return list(
        db_session.scalars(select(Area).where(Area.parent_id == area.id).order_by(Area.code))
    )


def area_feature(area: Area) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": area.code,
        "properties": {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "parent_code": area.parent_code,
            "area_m2": round(area.area_m2, 1),
        },
        "geometry": json.loads(area.geometry),
    }


def area_geojson(*, db_session: Session, level: Level | str) -> dict[str, Any]:
    """Every area of one level as a FeatureCollection (importable again as is)."""
    areas = list_areas(db_session=db_session, level=level)
    return {"type": "FeatureCollection", "features": [area_feature(a) for a in areas]}


def _rounded(value: Any, digits: int) -> Any:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, list):
        return [_rounded(v, digits) for v in value]
    return value


_MAP_CACHE: OrderedDict[tuple[Any, ...], dict[str, dict[str, Any]]] = OrderedDict()
_MAP_LOCK = threading.Lock()


def map_layers(
    *, db_session: Session, within: str | None = None, digits: int = 5
) -> dict[str, dict[str, Any]]:
    """Districts, streets and grids as one FeatureCollection per level, for drawing a map
    (the dashboard): only ``within`` and the areas inside it when given, coordinates rounded
    to ``digits`` decimals (5: about a metre) to keep the payload small. Kept until an import
    changes an area (the spatial index's fingerprint); treat the result as read-only."""
    key = (database_key(db_session), fingerprint(db_session), within, digits)
    with _MAP_LOCK:
        found = _MAP_CACHE.get(key)
    if found is not None:
        return found
    out = _map_layers(db_session, within, digits)
    with _MAP_LOCK:
        _MAP_CACHE[key] = out
        while len(_MAP_CACHE) > 16:
            _MAP_CACHE.popitem(last=False)
    return out


def _map_layers(db_session: Session, within: str | None, digits: int) -> dict[str, dict[str, Any]]:
    areas = list_areas(db_session=db_session)
    keep: set[str] | None = None
    if within is not None:
        get_area(db_session=db_session, code=within)  # NotFound names the code
        keep = {within}
        for level in LEVELS:  # parents come a level before their children
            keep |= {a.code for a in areas if a.level == level and a.parent_code in keep}
    out: dict[str, dict[str, Any]] = {}
    for level in LEVELS:
        features = []
        for a in areas:
            if a.level != level or (keep is not None and a.code not in keep):
                continue
            feature = area_feature(a)
            feature["geometry"]["coordinates"] = _rounded(
                feature["geometry"]["coordinates"], digits
            )
            features.append(feature)
        out[str(level)] = {"type": "FeatureCollection", "features": features}
    return out


# --- locate ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaRef:
    code: str
    name: str
    level: Level


@dataclass(frozen=True)
class Location:
    district: AreaRef | None
    street: AreaRef | None
    grid: AreaRef | None

    @property
    def finest(self) -> AreaRef:
        found = self.grid or self.street or self.district
        assert found is not None
        return found


def _check_point(lon: float, lat: float) -> None:
    if not -180.0 <= lon <= 180.0:
        raise ValidationFailed(f"Longitude {lon} is outside -180…180.", field="lon")
    if not -90.0 <= lat <= 90.0:
        raise ValidationFailed(f"Latitude {lat} is outside -90…90.", field="lat")


def _location(index: SpatialIndex, found: dict[Level, int]) -> Location | None:
    if not found:
        return None

    def ref(level: Level) -> AreaRef | None:
        i = found.get(level)
        if i is None:
            return None
        a = index.areas[i]
        return AreaRef(code=a.code, name=a.name, level=a.level)

    return Location(district=ref(Level.district), street=ref(Level.street), grid=ref(Level.grid))


def locate(*, db_session: Session, lon: float, lat: float) -> Location | None:
    """The district, street and grid containing a point (WGS84 lon/lat); None if outside."""
    _check_point(lon, lat)
    index = get_index(db_session)
    return _location(index, index.locate(lon, lat))


def locate_many(*, db_session: Session, points: list[tuple[float, float]]) -> list[Location | None]:
    """Locate many points in one vectorised index query (events, sensors, registries)."""
    for lon, lat in points:
        _check_point(lon, lat)
    index = get_index(db_session)
    return [_location(index, f) for f in index.locate_many(points)]


def spatial_index(*, db_session: Session) -> SpatialIndex:
    """The current index (for the map page, which draws from the same shapes)."""
    return get_index(db_session)


# --- grid workers ------------------------------------------------------------------------


@dataclass(frozen=True)
class GridWorkerView:
    id: int
    grid_code: str
    name: str
    mobile: str  # full or masked (138****5678), depending on who asks
    username: str | None


def mask_mobile(mobile: str) -> str:
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 8 else "****"


def _grid(db_session: Session, grid_code: str) -> Area:
    area = get_area(db_session=db_session, code=grid_code)
    if area.level != Level.grid:
        raise ValidationFailed(
            f"'{grid_code}' is a {area.level}, not a grid: grid workers are assigned to grids.",
            field="grid_code",
        )
    return area


def assign_grid_worker(
    *,
    db_session: Session,
    actor: User | None,
    grid_code: str,
    name: str,
    mobile: str,
    username: str | None = None,
) -> GridWorker:
    """Assign a grid worker (网格员) to a grid.

    The same mobile on the same grid updates that worker (name and account link) rather than
    adding a second one, so re-running an assignment is harmless.
    """
    if actor is not None and not identity_service.is_admin(actor):
        raise PermissionDenied("Only platform administrators may assign grid workers.")
    grid = _grid(db_session, grid_code)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("Give the grid worker's name (1-100 characters).", field="name")
    mobile = mobile.strip().replace(" ", "").replace("-", "")
    if not MOBILE_PATTERN.match(mobile):
        raise ValidationFailed(
            f"'{mobile}' is not a mainland mobile number (11 digits starting 13-19).",
            field="mobile",
        )
    user = None
    if username:
        user = identity_service.get_user_by_username(db_session=db_session, username=username)
        if user is None:
            raise NotFound(f"No user '{username}' to link to the grid worker.", field="username")
    worker = db_session.scalar(
        select(GridWorker).where(GridWorker.grid_id == grid.id, GridWorker.mobile == mobile)
    )
    action = "geo.grid_worker.update"
    if worker is None:
        worker = GridWorker(grid=grid, name=name, mobile=mobile, user=user)
        db_session.add(worker)
        action = "geo.grid_worker.assign"
    else:
        worker.name, worker.user, worker.updated_at = name, user, utcnow()
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action=action,
        object_type="geo_grid_worker",
        object_id=str(worker.id),
        detail={"grid": grid_code, "name": name, "mobile": mask_mobile(mobile), "user": username},
    )
    return worker


def grid_workers(
    *, db_session: Session, viewer: User, grid_code: str, purpose: str | None = None
) -> list[GridWorkerView]:
    """A grid's workers. Names and mobiles are personal data: every read is audited and
    only dispatchers and platform admins see full mobile numbers."""
    if viewer.role == Role.applicant:
        raise PermissionDenied("Grid workers' contact details are for city staff only.")
    grid = _grid(db_session, grid_code)
    rows = list(
        db_session.scalars(
            select(GridWorker).where(GridWorker.grid_id == grid.id).order_by(GridWorker.id)
        )
    )
    full = viewer.role in FULL_MOBILE_ROLES
    audit_service.record(
        db_session,
        actor=viewer,
        action="geo.grid_worker.read",
        object_type="geo_area",
        object_id=grid_code,
        purpose=purpose,
        detail={"workers": len(rows), "full_mobile": full},
    )
    return [
        GridWorkerView(
            id=w.id,
            grid_code=grid_code,
            name=w.name,
            mobile=w.mobile if full else mask_mobile(w.mobile),
            username=w.user.username if w.user is not None else None,
        )
        for w in rows
    ]


def grid_worker_counts(*, db_session: Session, within: str | None = None) -> dict[str, int]:
    """How many grid workers each grid has (counts only: no names or numbers are read)."""
    rows = db_session.execute(
        select(Area.code, func.count(GridWorker.id))
        .join(GridWorker, GridWorker.grid_id == Area.id)
        .group_by(Area.code)
    ).all()
    counts = {str(code): int(n) for code, n in rows}
    if within is not None:
        inside = map_layers(db_session=db_session, within=within)["grid"]["features"]
        codes = {f["id"] for f in inside}
        counts = {c: n for c, n in counts.items() if c in codes}
    return counts
