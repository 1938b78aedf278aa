"""locate(lon, lat): STRtree index vs a brute-force scan, on Montreal's real polygons.

Montreal's 58 electoral districts (plotly's election.geojson.gz; `pip install plotly`) become
19 boroughs (district level), 58 streets and grids cut by a square lattice of ``--cell``
degrees (0.005° → ~2,900 grids). Points are drawn uniformly over the island's bounding box.

Usage: python bench/bench_geo_locate.py [--cell 0.005] [--points 20000] [--database-url URL]
Prints import time, cold index build, per-call locate latency through the service (one
aggregate query for the cache key plus the STRtree query), vectorised locate_many
throughput, the same answers by scanning every polygon, and the ratios; and the map page's
SVG render time (cold, then cached).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.geo.cities import montreal_city  # noqa: E402

from citybase.db import make_engine, make_session_factory, upgrade  # noqa: E402
from citybase.geo import index as geo_index  # noqa: E402
from citybase.geo import service  # noqa: E402
from citybase.geo.enums import LEVELS, Level  # noqa: E402
from citybase.geo.svg import render_map  # noqa: E402


def brute_force(areas: list[tuple[str, Level, shapely.Geometry]], lon: float, lat: float) -> str:
    """The finest area containing the point, testing every polygon (what the index avoids)."""
    p = shapely.Point(lon, lat)
    best: tuple[int, str] | None = None
    for code, level, geom in areas:
        if geom.intersects(p):
            key = (-level.depth, code)
            best = key if best is None or key < best else best
    return best[1] if best else ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cell", type=float, default=0.005, help="Grid lattice size in degrees.")
    ap.add_argument("--points", type=int, default=20_000)
    ap.add_argument("--scan-points", type=int, default=500, help="Points for the slow scan.")
    ap.add_argument("--database-url", default=None, help="Default: a temporary SQLite file.")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-geo-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    city = montreal_city(args.cell)
    n_areas = sum(len(city[str(lvl)]["features"]) for lvl in LEVELS)
    vertices = sum(
        len(shapely.get_coordinates(shapely.from_geojson(json.dumps(f["geometry"]))))
        for lvl in LEVELS
        for f in city[str(lvl)]["features"]
    )
    counts = ", ".join(f"{lvl} {len(city[str(lvl)]['features'])}" for lvl in LEVELS)
    print(
        f"backend: {engine.url.get_backend_name()}; areas: {n_areas} ({counts}); "
        f"vertices: {vertices:,}"
    )

    with factory() as s:
        t0 = time.perf_counter()
        for lvl in LEVELS:
            service.import_geojson(
                db_session=s, actor=None, feature_collection=city[str(lvl)], level=lvl
            )
        s.commit()
        t_import = time.perf_counter() - t0
        print(
            f"import (validate + write, one transaction): {t_import:.2f} s "
            f"= {n_areas / t_import:,.0f} areas/s"
        )

        again = time.perf_counter()
        for lvl in LEVELS:
            service.import_geojson(
                db_session=s, actor=None, feature_collection=city[str(lvl)], level=lvl
            )
        s.commit()
        print(f"re-import, nothing changed: {time.perf_counter() - again:.2f} s")

        geo_index.clear_cache()
        t0 = time.perf_counter()
        index = service.spatial_index(db_session=s)
        t_build = time.perf_counter() - t0
        print(
            f"index build (load {len(index.areas)} geometries + STRtree), cold: "
            f"{t_build * 1000:.0f} ms"
        )

        rng = np.random.default_rng(2021)
        minx, miny, maxx, maxy = shapely.total_bounds(index.shapes)
        pts = list(
            zip(
                rng.uniform(minx, maxx, args.points).tolist(),
                rng.uniform(miny, maxy, args.points).tolist(),
                strict=True,
            )
        )

        # Per call through the service (cache key query + STRtree + point-in-polygon).
        lat_ms = []
        for lon, lat in pts[:2000]:
            t = time.perf_counter()
            service.locate(db_session=s, lon=lon, lat=lat)
            lat_ms.append((time.perf_counter() - t) * 1000)
        lat_ms.sort()
        p50 = statistics.median(lat_ms)
        p99 = lat_ms[int(len(lat_ms) * 0.99)]
        print(
            f"service.locate per call: p50 {p50:.3f} ms, p99 {p99:.3f} ms "
            f"(~{1000 / p50:,.0f} calls/s, one DB round trip each)"
        )

        # The index alone, per point.
        t = time.perf_counter()
        for lon, lat in pts:
            index.locate(lon, lat)
        per_index = (time.perf_counter() - t) / len(pts)
        print(f"index.locate alone: {per_index * 1e6:.1f} µs/point")

        t = time.perf_counter()
        many = service.locate_many(db_session=s, points=pts)
        t_many = time.perf_counter() - t
        inside = sum(1 for m in many if m is not None)
        print(
            f"service.locate_many({len(pts):,} points): {t_many * 1000:.0f} ms = "
            f"{len(pts) / t_many:,.0f} points/s ({inside:,} inside the city)"
        )

        areas = [(a.code, a.level, index.shapes[i]) for i, a in enumerate(index.areas)]
        scan_pts = pts[: args.scan_points]
        t = time.perf_counter()
        scanned = [brute_force(areas, lon, lat) for lon, lat in scan_pts]
        per_scan = (time.perf_counter() - t) / len(scan_pts)
        print(f"brute-force scan of {len(areas)} polygons: {per_scan * 1e6:,.0f} µs/point")
        agree = all((m.finest.code if m else "") == b for m, b in zip(many, scanned, strict=False))
        print(f"answers agree with the scan on {len(scan_pts)} points: {agree}")
        print(
            f"ratio scan / index.locate: {per_scan / per_index:,.0f}x; "
            f"scan / locate_many: {per_scan / (t_many / len(pts)):,.0f}x"
        )

        t = time.perf_counter()
        view = render_map(index)
        t_cold = time.perf_counter() - t
        t = time.perf_counter()
        render_map(index, highlight=areas[-1][0], point=pts[0])
        t_warm = time.perf_counter() - t
        assert view is not None
        print(
            f"map SVG: {len(view.svg) / 1024:,.0f} KiB, {view.grids} grid paths; render cold "
            f"{t_cold * 1000:.0f} ms, cached + highlight {t_warm * 1000:.1f} ms"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
