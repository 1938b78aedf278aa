"""CKAN ``datastore_search`` latency: pages of 100 rows from a 1,000,000-row dataset.

Builds a throw-away city (SQLite) with one open dataset of 1,000,000 rows loaded through the
data hub's own ``load_version``, then times ``POST /api/3/action/datastore_search``
- in-process: through the ASGI app (Starlette TestClient), no network;
- over HTTP: a live ``uvicorn citybase.asgi:app`` (one worker, separate process) on loopback,
  one keep-alive client sending requests one after another.
Each request is a full CKAN call: token-less (public) caller, resource lookup, the catalog's
authorisation, the file engine's read, usage counting (a database write) and the envelope.

Target: p95 under 50 ms for a page of 100 rows at a random offset.

Usage: python bench/bench_datastore.py [--rows 1000000] [--requests 400] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 50.0
DISTRICTS = [f"{n}区" for n in "东西南北中甲乙丙丁戊己庚辛壬癸子"]
KINDS = ["噪声", "占道", "垃圾", "井盖", "路灯", "绿化", "违建", "积水"]


def make_source(path: Path, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = pa.table(
        {
            "编号": pa.array(np.arange(1, rows + 1, dtype=np.int64)),
            "区": pa.array(np.array(DISTRICTS)[rng.integers(0, len(DISTRICTS), rows)]),
            "类别": pa.array(np.array(KINDS)[rng.integers(0, len(KINDS), rows)]),
            "描述": pa.array([f"示范路{i % 5000}号附近" for i in range(rows)]),
            "数值": pa.array(rng.normal(100, 15, rows).round(2)),
            "日期": pa.array(
                (np.datetime64("2020-01-01") + rng.integers(0, 1500, rows)).astype("datetime64[D]")
            ),
            "已办结": pa.array(rng.random(rows) < 0.9),
        }
    )
    pq.write_table(table, path)


def build_city(data_dir: Path, rows: int, seed: int) -> tuple[str, float]:
    from citybase.datahub import service as datahub_service
    from citybase.datahub.schemas import DatasetCreate
    from citybase.db import make_engine, make_session_factory, session_scope, upgrade
    from citybase.identity import service as identity_service
    from citybase.settings import Settings

    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    source = data_dir / "source.parquet"
    make_source(source, rows, seed)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        identity_service.create_department(db_session=s, actor=None, code="CGJ", name_zh="城管局")
        datahub_service.create_dataset(
            db_session=s,
            actor=None,
            data=DatasetCreate(
                name="city-events",
                title="城市事件",
                description="一网统管事件（基准测试数据）",
                department_code="CGJ",
                theme="public_safety",
                keywords=["事件"],
                licence="cc-by-4.0",
                sharing_type="unconditional",  # type: ignore[arg-type]
                open_type="unconditional",  # type: ignore[arg-type]
            ),
        )
    started = time.perf_counter()
    with session_scope(factory) as s:
        datahub_service.load_version(
            db_session=s, data_dir=data_dir, actor=None, name="city-events", source=source
        )
    load_seconds = time.perf_counter() - started
    engine.dispose()
    source.unlink()
    return "city-events", load_seconds


def engine_alone(data_dir: Path, rows: int, n: int, seed: int) -> dict[str, float]:
    """The file engine's ``read_rows`` on the same file with no API around it (the floor)."""
    from citybase.datahub import service as datahub_service
    from citybase.datahub.query import read_rows
    from citybase.datahub.types import RowQuery
    from citybase.db import make_engine, make_session_factory, session_scope
    from citybase.settings import Settings

    engine = make_engine(Settings(data_dir=data_dir).effective_database_url)
    with session_scope(make_session_factory(engine)) as s:
        ds = datahub_service.find_dataset(db_session=s, name="city-events")
        assert ds is not None
        path = datahub_service.version_path(
            data_dir, datahub_service.get_version(db_session=s, dataset=ds)
        )
    engine.dispose()
    rng = random.Random(seed)
    for _ in range(10):
        read_rows(path, RowQuery(limit=100, offset=rng.randrange(0, rows - 100)))
    times = []
    for _ in range(n):
        query = RowQuery(limit=100, offset=rng.randrange(0, rows - 100))
        t0 = time.perf_counter()
        read_rows(path, query)
        times.append((time.perf_counter() - t0) * 1000)
    return summary(times)


def scenarios(rows: int, rng: random.Random) -> dict[str, Callable[[], dict[str, Any]]]:
    def page() -> dict[str, Any]:
        return {"resource_id": "city-events", "limit": 100, "offset": rng.randrange(0, rows - 100)}

    def filtered() -> dict[str, Any]:
        return {
            "resource_id": "city-events",
            "limit": 100,
            "offset": rng.randrange(0, 500),
            "filters": {"区": rng.choice(DISTRICTS), "类别": rng.choice(KINDS)},
        }

    def sorted_page() -> dict[str, Any]:
        return {"resource_id": "city-events", "limit": 100, "sort": "数值 desc"}

    def text() -> dict[str, Any]:
        return {"resource_id": "city-events", "limit": 100, "q": f"示范路{rng.randrange(5000)}号"}

    return {
        "page at random offset": page,
        "filters 区+类别": filtered,
        "sort 数值 desc": sorted_page,
        "q text search": text,
    }


def measure(
    call: Callable[[dict[str, Any]], httpx.Response], make: Callable[[], dict[str, Any]], n: int
) -> list[float]:
    for _ in range(10):  # warm caches and the connection
        call(make())
    times: list[float] = []
    for _ in range(n):
        body = make()
        t0 = time.perf_counter()
        got = call(body)
        times.append((time.perf_counter() - t0) * 1000)
        if got.status_code != 200:
            raise SystemExit(f"{got.status_code}: {got.text[:500]}")
        result = got.json()["result"]
        if len(result["records"]) == 0 and "q" not in body:
            raise SystemExit(f"empty page for {body}")
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {
        "mean": statistics.fmean(times),
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": ordered[-1],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def live_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "citybase.asgi:app",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env={**os.environ, "CITYBASE_DATA_DIR": str(data_dir)},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/api/3", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("uvicorn did not start")


def report(where: str, results: dict[str, dict[str, float]]) -> None:
    print(f"\n{where}")
    print(f"  {'scenario':<24}{'mean':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}   p95/target")
    for name, s in results.items():
        ratio = s["p95"] / TARGET_P95_MS
        print(
            f"  {name:<24}{s['mean']:8.1f}{s['p50']:8.1f}{s['p95']:8.1f}{s['p99']:8.1f}"
            f"{s['max']:8.1f}   {ratio:5.2f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    from fastapi.testclient import TestClient

    from citybase.app import create_app
    from citybase.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        name, load_seconds = build_city(data_dir, args.rows, args.seed)
        print(f"dataset '{name}': {args.rows:,} rows loaded in {load_seconds:.1f} s")
        print(
            f"times in ms over {args.requests} requests each; target p95 < {TARGET_P95_MS:.0f} ms"
        )

        floor = engine_alone(data_dir, args.rows, args.requests, args.seed)
        print(
            f"file engine alone, page of 100 at a random offset: p50 {floor['p50']:.1f} ms, "
            f"p95 {floor['p95']:.1f} ms"
        )

        app = create_app(Settings(data_dir=data_dir))
        in_process: dict[str, dict[str, float]] = {}
        with TestClient(app) as client:
            for label, make in scenarios(args.rows, random.Random(args.seed)).items():
                times = measure(
                    lambda body: client.post("/api/3/action/datastore_search", json=body),
                    make,
                    args.requests,
                )
                in_process[label] = summary(times)
        report("in-process (ASGI, no network)", in_process)

        proc, url = live_server(data_dir)
        over_http: dict[str, dict[str, float]] = {}
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                for label, make in scenarios(args.rows, random.Random(args.seed)).items():
                    times = measure(
                        lambda body: client.post("/api/3/action/datastore_search", json=body),
                        make,
                        args.requests,
                    )
                    over_http[label] = summary(times)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        report("HTTP: uvicorn (1 worker) on loopback, keep-alive client", over_http)
        headline = over_http["page at random offset"]["p95"]
        verdict = "meets" if headline < TARGET_P95_MS else "MISSES"
        print(
            f"\nheadline: page of 100 at a random offset over HTTP, p95 {headline:.1f} ms "
            f"({verdict} the {TARGET_P95_MS:.0f} ms target; ratio {headline / TARGET_P95_MS:.2f})"
        )
        http_p50 = over_http["page at random offset"]["p50"]
        print(
            f"API + HTTP cost over the bare engine read (p50): {http_p50 - floor['p50']:.1f} ms "
            f"(ratio HTTP/engine p50 {http_p50 / floor['p50']:.1f})"
        )
        print(
            json.dumps(
                {"engine": floor, "in_process": in_process, "http": over_http}, ensure_ascii=False
            )
        )


if __name__ == "__main__":
    main()
