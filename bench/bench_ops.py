"""一网统管: intake through the API, indicators over a million cases, the queue's p95.

Builds a throw-away city (SQLite file, or PostgreSQL with ``--postgres URL``: a fresh
database is made and dropped): the demo departments, a 2 × 2 × 4 box city, a call-taker.

- intake   — ``POST /api/ops/cases`` through the ASGI app (TestClient, one worker, no
             category given: classify + locate + duplicates + routing + register + dispatch,
             each move audited and published), ``--intakes`` reports at distinct points.
- indicators — ``ops.indicators.compute`` for a half-year over ``--cases`` rows (written by
             one INSERT … SELECT: 97 % closed, 28 categories, 16 departments, 180 due days),
             ungrouped and grouped by department and by month.
- queue    — the dispatcher's queue query (open cases of one department, earliest due first,
             page of 50, with its total) ``--queries`` times over the same rows: p50/p95.

Usage: python bench/bench_ops.py [--postgres URL] [--cases 1000000] [--intakes 400]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from shapely.geometry import box, mapping
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from citybase.app import create_app
from citybase.db import make_engine, make_session_factory, upgrade
from citybase.geo import service as geo_service
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.ops import indicators, service
from citybase.settings import Settings

TAXONOMY = Path(__file__).resolve().parents[1] / "src" / "citybase" / "demo" / "taxonomy"
LON0, LAT0, STEP = 121.40, 31.20, 0.02
TEXTS = [
    "小区门口垃圾桶满了好几天没人清运，臭味很大",
    "地铁口每天晚上都有流动摊贩摆摊",
    "旁边工地半夜还在打桩，吵得根本睡不着",
    "楼道墙上贴满了开锁办证的小广告",
]


def city() -> dict[str, Any]:
    feats = []
    for d in range(2):
        x0 = LON0 + d * 2 * STEP
        feats.append(("district", f"D{d + 1}", None, box(x0, LAT0, x0 + 2 * STEP, LAT0 + 2 * STEP)))
        for s in range(2):
            sx = x0 + s * STEP
            scode = f"D{d + 1}-S{s + 1}"
            feats.append(("street", scode, f"D{d + 1}", box(sx, LAT0, sx + STEP, LAT0 + 2 * STEP)))
            for g in range(4):
                gx, gy = sx + (g % 2) * STEP / 2, LAT0 + (g // 2) * STEP
                feats.append(
                    ("grid", f"{scode}-G{g + 1}", scode, box(gx, gy, gx + STEP / 2, gy + STEP))
                )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": mapping(geom),
                "properties": {"code": code, "name": code, "level": level, "parent_code": parent},
            }
            for level, code, parent, geom in feats
        ],
    }


FILL = {
    "postgresql": "SELECT g FROM generate_series(1, :n) AS g",
    "sqlite": "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
    "SELECT g FROM s",
}
DAY = {
    "postgresql": "to_char(date '2026-03-01' + (g % 180), 'YYYY-MM-DD')",
    "sqlite": "date('2026-03-01', '+' || (g % 180) || ' days')",
}
NOW = {"postgresql": "now()", "sqlite": "'2026-06-01 00:00:00.000000'"}


def fill_cases(engine: Any, n: int) -> float:
    dialect = engine.dialect.name
    day, now = DAY[dialect], NOW[dialect]
    open_ = "(g % 33 = 0)"
    sql = f"""
    INSERT INTO ops_case (status, channel, text, category, needs_category, candidates,
        department, routed_by, address, result, rework_count, extension_count, urge_count,
        supervise_count, handling_hours, on_time, created_at, registered_day, due_day,
        closed_day, due_at, updated_at, sla_error, satisfaction, grid_code)
    SELECT CASE WHEN {open_} THEN 'dispatched' ELSE 'closed' END, 'hotline', '测试',
        'C' || (g % 28),
        {"false" if dialect == "postgresql" else "0"}, '[]', 'D' || (g % 16), 'default', '', '',
        CASE WHEN g % 19 = 0 THEN 1 ELSE 0 END, CASE WHEN g % 37 = 0 THEN 1 ELSE 0 END, 0, 0,
        (g % 50) * 0.5, CASE WHEN g % 5 = 0 THEN {"false" if dialect == "postgresql" else "0"}
        ELSE {"true" if dialect == "postgresql" else "1"} END, {now}, {day}, {day},
        CASE WHEN {open_} THEN NULL ELSE {day} END,
        {"now() + (g % 400 - 200) * interval '1 hour'" if dialect == "postgresql" else now},
        {now}, '', CASE WHEN g % 7 = 0 THEN 'dissatisfied' ELSE 'satisfied' END,
        'D1-S1-G' || (1 + g % 4)
    FROM ({FILL[dialect]}) AS src
    """
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(sql), {"n": n})
        if dialect == "postgresql":
            conn.execute(text("ANALYZE ops_case"))
    return time.perf_counter() - t0


def timed(fn: Any, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None, help="admin URL; a fresh database is used")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--intakes", type=int, default=400)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ops-"))
    name = None
    if args.postgres:
        name = f"bench_ops_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(url)
    try:
        run(engine, url, tmp, args)
    finally:
        engine.dispose()
        if name is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(engine: Any, url: str, tmp: Path, args: argparse.Namespace) -> None:
    upgrade(engine)
    factory = make_session_factory(engine)
    settings = Settings(data_dir=tmp, database_url=url, inprocess_worker=False)
    with factory() as s:
        identity_service.load_departments_file(
            db_session=s, path=TAXONOMY / "departments.yaml", actor=None
        )
        geo_service.import_geojson(db_session=s, actor=None, feature_collection=city())
        user = identity_service.create_user(
            db_session=s,
            actor=None,
            username="taker",
            display_name="话务员",
            password="correct-horse-battery",
            role=Role.call_taker,
            department_code="ZSJ",
        )
        token, _ = identity_service.issue_token(db_session=s, user=user, name="bench", days=1)
        dispatcher = identity_service.create_user(
            db_session=s,
            actor=None,
            username="disp",
            display_name="派遣员",
            password="correct-horse-battery",
            role=Role.dispatcher,
            department_code="ZSJ",
        )
        s.commit()
    print(f"backend: {engine.dialect.name}")
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for i in range(20):  # warm-up
            client.post(
                "/api/ops/cases",
                headers=headers,
                json={"text": TEXTS[i % 4], "lon": LON0 + 0.0011 * i, "lat": LAT0 + 0.031},
            )
        t0 = time.perf_counter()
        codes: dict[int, int] = {}
        for i in range(args.intakes):
            lon = LON0 + 0.001 + (i % 79) * 0.001
            lat = LAT0 + 0.001 + (i // 79) * 0.0015
            r = client.post(
                "/api/ops/cases",
                headers=headers,
                json={
                    "channel": "hotline",
                    "text": f"{TEXTS[i % 4]}（{i}）",
                    "lon": lon,
                    "lat": lat,
                },
            )
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
        secs = time.perf_counter() - t0
    print(
        f"intake through the API: {args.intakes} reports in {secs:.2f} s = "
        f"{args.intakes / secs:.0f} cases/s (target ≥ 200/s); statuses {codes}"
    )
    fill = fill_cases(engine, args.cases)
    print(f"filled {args.cases:,} cases in {fill:.1f} s")
    lo, hi = dt.date(2026, 3, 1), dt.date(2026, 8, 31)
    with factory() as s:
        base = timed(lambda: s.execute(text("SELECT count(*) FROM ops_case")).all(), 3)
        base_ms = statistics.median(base)
        print(
            f"baseline: SELECT count(*) over {args.cases:,} cases: {base_ms:.0f} ms "
            f"(machine load average {os.getloadavg()[0]:.1f})"
        )
        for group in ("none", "department", "month"):
            ms = timed(
                lambda g=group: indicators.compute(db_session=s, date_from=lo, date_to=hi, group=g),
                3,
            )  # type: ignore[misc]
            print(
                f"indicators over {args.cases:,} cases, group={group}: "
                f"median {statistics.median(ms):.0f} ms = {statistics.median(ms) / base_ms:.1f}× "
                "the count(*) (target < 1000 ms)"
            )
        viewer = s.get(type(dispatcher), dispatcher.id)
        assert viewer is not None

        def queue(i: int = 0) -> None:
            service.list_cases(
                db_session=s, viewer=viewer, department=f"D{i % 16}", open_only=True, page=1 + i % 3
            )

        ms = []
        for i in range(args.queries):
            t0 = time.perf_counter()
            queue(i)
            ms.append((time.perf_counter() - t0) * 1000)
        ms.sort()
        p95 = ms[int(len(ms) * 0.95) - 1]
        print(
            f"queue (open cases of one department, earliest due first, 50 a page, with total) "
            f"over {args.cases:,} cases: p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms "
            "(target < 100 ms)"
        )


if __name__ == "__main__":
    main()
