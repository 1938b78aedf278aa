"""Parse and check a GeoJSON FeatureCollection of areas, without touching the database.

Every problem names the feature by its index and code, so a person fixing the file can find
it; all problems are collected (not just the first) so one round of fixes is usually enough.
Checks that need the database (unknown parents, level changes) live in the service.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from citybase.geo.enums import Level

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
MAX_NAME = 200
EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


@dataclass(frozen=True)
class Problem:
    index: int | None  # position in ``features``; None for the collection itself
    code: str | None
    message: str

    def __str__(self) -> str:
        if self.index is None:
            return self.message
        who = f"features[{self.index}]"
        if self.code:
            who += f" (code '{self.code}')"
        return f"{who}: {self.message}"

    @property
    def field(self) -> str:
        return "features" if self.index is None else f"features[{self.index}]"


@dataclass(frozen=True)
class AreaFeature:
    """One checked feature, ready to be written."""

    index: int
    code: str
    name: str
    level: Level
    parent_code: str | None
    geometry_json: str  # canonical GeoJSON geometry text (2-D, floats, compact)
    shape: BaseGeometry

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        minx, miny, maxx, maxy = self.shape.bounds
        return (float(minx), float(miny), float(maxx), float(maxy))

    @property
    def area_m2(self) -> float:
        return area_m2(self.shape)


class _Bad(Exception):
    """A geometry problem found while walking coordinates (message for the Problem)."""


def area_m2(geom: BaseGeometry) -> float:
    """Approximate area in m²: equirectangular projection about the shape's mid latitude.

    For city-sized areas (tens of km) the error against a geodesic area is well under 1 %.
    """
    if geom.is_empty:
        return 0.0
    _, miny, _, maxy = geom.bounds
    k = math.cos(math.radians((miny + maxy) / 2))
    m_per_deg = math.pi * EARTH_RADIUS_M / 180

    def project(coords: Any) -> Any:
        out = coords.copy()
        out[:, 0] = coords[:, 0] * k * m_per_deg
        out[:, 1] = coords[:, 1] * m_per_deg
        return out

    return float(shapely.transform(geom, project).area)


def _position(value: object, where: str) -> list[float]:
    if not isinstance(value, list | tuple) or len(value) < 2:
        raise _Bad(f"{where} is not a position [lon, lat]")
    out: list[float] = []
    for axis, v in zip(("longitude", "latitude"), value[:2], strict=True):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise _Bad(f"{where} has a {axis} that is not a number: {v!r}")
        out.append(float(v))
    lon, lat = out
    if not -180.0 <= lon <= 180.0:
        raise _Bad(f"{where} has longitude {lon} outside -180…180 (are lon and lat swapped?)")
    if not -90.0 <= lat <= 90.0:
        raise _Bad(f"{where} has latitude {lat} outside -90…90 (are lon and lat swapped?)")
    return out


def _ring(value: object, where: str) -> list[list[float]]:
    if not isinstance(value, list | tuple):
        raise _Bad(f"{where} is not a list of positions")
    points = [_position(p, f"{where} point {i}") for i, p in enumerate(value)]
    if len(points) < 4:
        raise _Bad(
            f"{where} has {len(points)} point(s); a polygon ring needs at least 4 "
            "(three corners and the first point repeated at the end)"
        )
    if points[0] != points[-1]:
        raise _Bad(
            f"{where} does not close: it starts at {points[0]} but ends at {points[-1]}; "
            "repeat the first point at the end of the ring"
        )
    return points


def _polygon(value: object, where: str) -> list[list[list[float]]]:
    if not isinstance(value, list | tuple) or not value:
        raise _Bad(f"{where} has no rings")
    return [
        _ring(r, f"{where} {'outer ring' if i == 0 else f'hole {i}'}") for i, r in enumerate(value)
    ]


def parse_geometry(geometry: object) -> tuple[dict[str, Any], BaseGeometry]:
    """A canonical 2-D geometry dict and its shapely shape, or ``_Bad`` saying what is wrong."""
    if not isinstance(geometry, dict):
        raise _Bad("has no geometry (expected a Polygon or MultiPolygon object)")
    gtype = geometry.get("type")
    coords = geometry.get("coordinates")
    if gtype == "Polygon":
        canonical: dict[str, Any] = {"type": "Polygon", "coordinates": _polygon(coords, "polygon")}
        shape = shapely.Polygon(canonical["coordinates"][0], canonical["coordinates"][1:])
    elif gtype == "MultiPolygon":
        if not isinstance(coords, list | tuple) or not coords:
            raise _Bad("MultiPolygon has no polygons")
        polys = [_polygon(p, f"polygon {i}") for i, p in enumerate(coords)]
        canonical = {"type": "MultiPolygon", "coordinates": polys}
        shape = shapely.MultiPolygon([(p[0], p[1:]) for p in polys])
    else:
        raise _Bad(f"geometry type is {gtype!r}; an area must be a Polygon or MultiPolygon")
    if not shape.is_valid:
        reason = shapely.is_valid_reason(shape)
        raise _Bad(
            f"polygon is invalid: {reason} — fix the outline so edges do not cross or "
            "overlap (e.g. with QGIS 'Fix geometries' or shapely.make_valid)"
        )
    if shape.area <= 0:
        raise _Bad("polygon has zero area")
    return canonical, shape


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def parse_features(
    collection: object, *, level: Level | None = None
) -> tuple[list[AreaFeature], list[Problem]]:
    """Check a FeatureCollection; returns the good features and every problem found."""
    if not isinstance(collection, dict):
        return [], [Problem(None, None, "Expected a GeoJSON FeatureCollection object.")]
    if collection.get("type") != "FeatureCollection":
        return [], [
            Problem(
                None,
                None,
                f'Expected "type": "FeatureCollection", got {collection.get("type")!r}.',
            )
        ]
    raw = collection.get("features")
    if not isinstance(raw, list) or not raw:
        return [], [Problem(None, None, "The FeatureCollection has no 'features' list to import.")]
    features: list[AreaFeature] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or item.get("type") != "Feature":
            problems.append(Problem(i, None, 'is not a GeoJSON object with "type": "Feature"'))
            continue
        props = item.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            problems.append(Problem(i, None, "'properties' must be an object"))
            continue
        raw_code = props.get("code")
        code = _text(raw_code)
        if code is None:
            if isinstance(raw_code, str) or raw_code is None:
                message = "has no 'code' property; every area needs a unique code"
            else:
                message = f"code must be text or a whole number, not {raw_code!r}"
            problems.append(Problem(i, None, message))
            continue
        if not CODE_PATTERN.match(code):
            problems.append(
                Problem(
                    i,
                    code,
                    "code must be 1-64 letters, digits, '.', '_' or '-' "
                    "(starting with a letter or digit)",
                )
            )
            continue
        if code in seen:
            problems.append(Problem(i, code, f"code also used by features[{seen[code]}]"))
            continue
        seen[code] = i
        feature_level = level
        if feature_level is None:
            raw_level = props.get("level")
            try:
                feature_level = Level(str(raw_level))
            except ValueError:
                problems.append(
                    Problem(
                        i,
                        code,
                        f"level {raw_level!r} is not one of district, street, grid "
                        "(set the 'level' property or pass --level)",
                    )
                )
                continue
        name = _text(props.get("name")) or code
        if len(name) > MAX_NAME:
            problems.append(Problem(i, code, f"name is longer than {MAX_NAME} characters"))
            continue
        parent_code = _text(props.get("parent_code"))
        try:
            canonical, shape = parse_geometry(item.get("geometry"))
        except _Bad as bad:
            problems.append(Problem(i, code, str(bad)))
            continue
        features.append(
            AreaFeature(
                index=i,
                code=code,
                name=name,
                level=feature_level,
                parent_code=parent_code,
                geometry_json=json.dumps(canonical, separators=(",", ":")),
                shape=shape,
            )
        )
    return features, problems


def check_hierarchy(features: list[AreaFeature], existing_levels: dict[str, str]) -> list[Problem]:
    """Parents must exist (in this import or already stored) and sit one level up.

    ``existing_levels`` maps stored codes (the features' own codes and their parent codes)
    to their level.
    """
    problems: list[Problem] = []
    in_import = {f.code: f.level for f in features}
    for f in features:
        stored = existing_levels.get(f.code)
        if stored is not None and stored != f.level:
            problems.append(
                Problem(
                    f.index,
                    f.code,
                    f"is already stored as a {stored}; an area cannot change level "
                    "(use a new code)",
                )
            )
            continue
        expected = f.level.parent_level
        if expected is None:
            # A district's parent_code may name the city itself (e.g. its GB/T 2260 code),
            # which is not an area here; it must not name a district, street or grid.
            clash = f.parent_code and (
                in_import.get(f.parent_code) or existing_levels.get(f.parent_code)
            )
            if clash:
                problems.append(
                    Problem(
                        f.index,
                        f.code,
                        f"parent_code '{f.parent_code}' is a {clash}, but districts are the "
                        "top level: leave parent_code empty or give the city's code",
                    )
                )
            continue
        if f.parent_code is None:
            problems.append(
                Problem(f.index, f.code, f"a {f.level} needs parent_code naming its {expected}")
            )
            continue
        parent_level = in_import.get(f.parent_code) or existing_levels.get(f.parent_code)
        if parent_level is None:
            problems.append(
                Problem(
                    f.index,
                    f.code,
                    f"parent_code '{f.parent_code}' is unknown: import that {expected} "
                    "first or in the same file",
                )
            )
        elif parent_level != expected:
            problems.append(
                Problem(
                    f.index,
                    f.code,
                    f"parent_code '{f.parent_code}' is a {parent_level}; "
                    f"a {f.level}'s parent must be a {expected}",
                )
            )
    return problems
