"""GeoJSON for tests: a small synthetic city of boxes, and Montreal's real electoral districts.

Montreal (shipped in plotly, 58 electoral districts as MultiPolygons) becomes a real
three-level city: boroughs (district level, the union of the electoral districts sharing a
borough number, ``id // 10``), electoral districts (street level), and grids (each
electoral district cut by a square lattice).
"""

from __future__ import annotations

import csv
import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import box, mapping, shape
from shapely.geometry.base import BaseGeometry

# Small city 示范市: 2 districts × 2 streets × 4 grids, 0.02° squares near Shanghai.
LON0, LAT0 = 121.40, 31.20
STEP = 0.02


def feature(
    code: str,
    geom: BaseGeometry | dict[str, Any],
    level: str | None = None,
    parent: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    props: dict[str, Any] = {"code": code, "name": name or f"{code} 名称"}
    if level is not None:
        props["level"] = level
    if parent is not None:
        props["parent_code"] = parent
    geometry = geom if isinstance(geom, dict) else json.loads(json.dumps(mapping(geom)))
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def small_city_shapes() -> dict[str, tuple[str, str | None, BaseGeometry]]:
    """code → (level, parent code, shape)."""
    out: dict[str, tuple[str, str | None, BaseGeometry]] = {}
    for d in range(2):
        dcode = f"D{d + 1}"
        x0 = LON0 + d * 2 * STEP
        out[dcode] = ("district", None, box(x0, LAT0, x0 + 2 * STEP, LAT0 + 2 * STEP))
        for s in range(2):
            scode = f"{dcode}-S{s + 1}"
            sx = x0 + s * STEP
            out[scode] = ("street", dcode, box(sx, LAT0, sx + STEP, LAT0 + 2 * STEP))
            for g in range(4):
                gcode = f"{scode}-G{g + 1}"
                gx = sx + (g % 2) * STEP / 2
                gy = LAT0 + (g // 2) * STEP
                out[gcode] = ("grid", scode, box(gx, gy, gx + STEP / 2, gy + STEP))
    return out


def small_city() -> dict[str, Any]:
    """All three levels in one FeatureCollection, each feature naming its level."""
    return collection(
        [
            feature(code, geom, level, parent)
            for code, (level, parent, geom) in small_city_shapes().items()
        ]
    )


def small_city_layer(level: str) -> dict[str, Any]:
    """One level, without 'level' properties (for ``level=`` imports)."""
    return collection(
        [
            feature(code, geom, None, parent)
            for code, (lvl, parent, geom) in small_city_shapes().items()
            if lvl == level
        ]
    )


# --- Montreal -----------------------------------------------------------------------------


def _plotly_dataset(name: str) -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "datasets" / name


@cache
def montreal_raw() -> dict[str, Any]:
    with gzip.open(_plotly_dataset("election.geojson.gz"), "rt", encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


@cache
def montreal_points() -> list[tuple[float, float]]:
    """249 real car-share locations in Montreal (lon, lat)."""
    with gzip.open(_plotly_dataset("carshare.csv.gz"), "rt", encoding="utf-8") as f:
        return [(float(r["centroid_lon"]), float(r["centroid_lat"])) for r in csv.DictReader(f)]


def _polygons_only(geom: BaseGeometry) -> BaseGeometry | None:
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon" and g.area > 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


@cache
def montreal_city(cell: float = 0.04) -> dict[str, dict[str, Any]]:
    """Montreal as three FeatureCollections: boroughs, electoral districts, lattice grids."""
    electoral = []
    for f in montreal_raw()["features"]:
        code = f"MTL-{f['id']}"
        borough = f"MTL-B{int(f['id']) // 10}"
        electoral.append((code, f["properties"]["district"], borough, shape(f["geometry"])))
    boroughs: dict[str, list[BaseGeometry]] = {}
    for _, _, borough, geom in electoral:
        boroughs.setdefault(borough, []).append(geom)
    districts = [
        feature(code, shapely.union_all(parts), name=f"Arrondissement {code[5:]}")
        for code, parts in sorted(boroughs.items())
    ]
    streets = [feature(code, geom, parent=b, name=name) for code, name, b, geom in electoral]
    grids = []
    for code, _, _, geom in electoral:
        minx, miny, maxx, maxy = geom.bounds
        i = 0
        y = miny
        while y < maxy:
            x = minx
            while x < maxx:
                piece = _polygons_only(shapely.intersection(geom, box(x, y, x + cell, y + cell)))
                if piece is not None and piece.is_valid and piece.area > 1e-7:
                    i += 1
                    grids.append(feature(f"{code}-G{i:02d}", piece, parent=code))
                x += cell
            y += cell
    return {
        "district": collection(districts),
        "street": collection(streets),
        "grid": collection(grids),
    }
