"""Sensing: ingest over HTTP (dataArray, single POSTs) and MQTT, reads, storage, alarm latency.

On a throw-away database (SQLite file, or a fresh PostgreSQL database with ``--postgres``),
through a live uvicorn server on loopback and the machine's Mosquitto (127.0.0.1:1883):

- dataarray — POST /sta/v1.1/CreateObservations, batches of 5,000: observations/s;
- single    — POST /sta/v1.1/Datastreams(d)/Observations from 4 threads: POSTs/s;
- mqtt      — QoS 1 publishes from one load generator, the ingest consumer (batches of 2,000)
              storing them: observations/s from first publish to last commit;
- series    — one datastream's last 24 h at 1 Hz (86,400 rows) read from the store: p95;
- rollup    — GET …/Datastreams(d)/Rollups?grain=hour over a year (8,760 buckets): p95;
- storage   — bytes on disk per observation (table + index + rollups), N observations;
- alarm     — MQTT publish of a breaching value → AlarmRaised committed in the outbox: p95.

MQTT republishing is off while ingest is measured (CITYBASE_SENSING_MQTT_REPUBLISH=false).
Usage: python bench/bench_sensing.py [--storage 1000000] [--postgres ADMIN_URL]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("CITYBASE_SENSING_MQTT_REPUBLISH", "false")
os.environ.setdefault("CITYBASE_SENSING_DEVICE_RATE_PER_S", "1000000")

import httpx
import paho.mqtt.client as mqtt
import uvicorn
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from citybase.app import create_app
from citybase.db import make_engine, make_session_factory, upgrade
from citybase.events.models import OutboxEvent
from citybase.identity import service as identity
from citybase.identity.enums import Role
from citybase.sensing.config import SensingSettings
from citybase.sensing.ingest import Ingest
from citybase.sensing.models import AlarmRule, Datastream, Observation
from citybase.sensing.sta.entities import ENTITY_SETS
from citybase.sensing.sta.write import Writer
from citybase.sensing.store import NewObservation, insert_observations, now_ms, series
from citybase.settings import Settings

HOUR, DAY = 3_600_000, 86_400_000


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(len(xs) * 0.95) - 1)]


def make_stream(factory: Any, name: str) -> int:
    body = {
        "name": name,
        "Locations": [
            {
                "name": name,
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [121.47, 31.23]},
            }
        ],
        "Datastreams": [
            {
                "name": name,
                "observationType": "OM_Measurement",
                "unitOfMeasurement": {"name": "m", "symbol": "m"},
                "Sensor": {"name": "s", "encodingType": "text/plain", "metadata": "-"},
                "ObservedProperty": {"name": name, "definition": "-"},
            }
        ],
    }
    with factory() as db:
        tid = Writer(db).create(ENTITY_SETS["Things"], body, {})
        ds = db.scalar(select(Datastream.id).where(Datastream.thing_id == tid))
        db.commit()
    return int(ds)


def fill(factory: Any, ds: int, n: int, start: int, step_ms: int, batch: int = 20_000) -> None:
    for at in range(0, n, batch):
        obs = [
            NewObservation(ds, start + (at + i) * step_ms, float((at + i) % 100))
            for i in range(min(batch, n - at))
        ]
        with factory() as db:
            insert_observations(db, obs, evaluate_alarms=False)
            db.commit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--storage", type=int, default=1_000_000)
    ap.add_argument("--postgres", default=None)
    ap.add_argument("--batches", type=int, default=20, help="dataArray batches of 5,000")
    ap.add_argument("--single", type=int, default=3000, help="single POSTs")
    ap.add_argument("--mqtt", type=int, default=60_000, help="MQTT messages")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sensing-"))
    pg_name = None
    if args.postgres:
        pg_name = f"bench_sensing_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{pg_name}"'))
        url = make_url(args.postgres).set(database=pg_name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp / 'citybase.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as db:
        user = identity.create_user(
            db_session=db,
            actor=None,
            username="bench",
            display_name="bench",
            password="bench-password-1",
            role=Role.platform_admin,
            department_code=None,
        )
        token, _ = identity.issue_token(db_session=db, user=user, name="bench", days=1)
        db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(data_dir=tmp, database_url=url)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}/sta/v1.1"
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    print(
        f"backend: {engine.dialect.name}; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )

    # dataArray over HTTP
    ds = make_stream(factory, "dataarray")
    start = now_ms() - 30 * DAY
    n_batches, per = args.batches, 5000
    with httpx.Client(headers=headers, timeout=60) as http:
        t0 = time.perf_counter()
        for b in range(n_batches):
            rows = [[_iso(start + (b * per + i) * 1000), float(i % 50)] for i in range(per)]
            r = http.post(
                f"{base}/CreateObservations",
                json=[
                    {
                        "Datastream": {"@iot.id": ds},
                        "components": ["phenomenonTime", "result"],
                        "dataArray": rows,
                    }
                ],
            )
            assert r.status_code == 201, r.text
        dt_ = time.perf_counter() - t0
    print(f"dataarray: {n_batches * per} obs in {dt_:.2f} s = {n_batches * per / dt_:,.0f} obs/s")

    # single POSTs, 4 threads
    ds1 = make_stream(factory, "single")
    n_single = args.single

    def post(i: int, http: httpx.Client) -> None:
        r = http.post(
            f"{base}/Datastreams({ds1})/Observations",
            json={"result": float(i), "phenomenonTime": _iso(start + i * 1000)},
        )
        assert r.status_code == 201, r.text

    clients = [httpx.Client(headers=headers, timeout=60) for _ in range(4)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: post(i, clients[i % 4]), range(n_single)))
    dt_ = time.perf_counter() - t0
    print(f"single: {n_single} POSTs in {dt_:.2f} s = {n_single / dt_:,.0f} POST/s")

    # MQTT ingest
    dsm = make_stream(factory, "mqtt")
    group = f"bench{uuid.uuid4().hex[:6]}"
    cfg = SensingSettings(
        share_group=group,
        ingest_batch=2000,
        ingest_flush_ms=100,
        device_rate_per_s=1e9,
        mqtt_republish=False,
    )
    ingest = Ingest(factory, client_id=f"bench-ingest-{group}", settings=cfg)
    threading.Thread(target=ingest.run, daemon=True).start()
    ingest.connected.wait(10)
    time.sleep(0.5)
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{group}")
    pub.max_inflight_messages_set(1000)
    pub.connect("127.0.0.1", 1883)
    pub.loop_start()
    n_mqtt = args.mqtt
    topic = f"v1.1/Datastreams({dsm})/Observations"
    t0 = time.perf_counter()
    infos = [
        pub.publish(
            topic,
            json.dumps({"result": float(i % 90), "phenomenonTime": _iso(start + i * 1000)}),
            qos=1,
        )
        for i in range(n_mqtt)
    ]
    for info in infos:
        info.wait_for_publish(60)
    while ingest.counters.stored < n_mqtt and time.perf_counter() - t0 < 120:
        time.sleep(0.02)
    dt_ = time.perf_counter() - t0
    print(
        f"mqtt: {ingest.counters.stored} of {n_mqtt} obs in {dt_:.2f} s = "
        f"{ingest.counters.stored / dt_:,.0f} obs/s ({ingest.counters.batches} batches)"
    )

    # alarm latency: publish a breaching value, wait for AlarmRaised in the outbox
    with factory() as db:
        db.add(
            AlarmRule(
                name="bench",
                kind="threshold",
                category="DRAINAGE",
                datastream_id=dsm,
                params=json.dumps({"above": 500.0, "clear_below": 400.0}),
                debounce=1,
                enabled=True,
            )
        )
        db.commit()
    lat: list[float] = []
    for _ in range(20):
        with factory() as db:
            seen = db.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.event_type == "sensing.AlarmRaised")
            )
        t0 = time.perf_counter()
        pub.publish(topic, json.dumps({"result": 900.0}), qos=1)
        while True:
            with factory() as db:
                now_seen = db.scalar(
                    select(func.count())
                    .select_from(OutboxEvent)
                    .where(OutboxEvent.event_type == "sensing.AlarmRaised")
                )
            if now_seen > seen:
                break
            time.sleep(0.005)
        lat.append((time.perf_counter() - t0) * 1000)
        pub.publish(topic, json.dumps({"result": 10.0}), qos=1).wait_for_publish(5)
        time.sleep(0.3)
    print(
        f"alarm: MQTT publish → AlarmRaised committed p50 {statistics.median(lat):.0f} ms, "
        f"p95 {p95(lat):.0f} ms ({len(lat)} alarms)"
    )
    ingest.stop_event.set()
    pub.loop_stop()
    forget = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-ingest-{group}", clean_session=True
    )
    forget.connect("127.0.0.1", 1883)
    forget.disconnect()

    # 24 h at 1 Hz
    ds24 = make_stream(factory, "day-1hz")
    day_start = now_ms() - DAY
    fill(factory, ds24, 86_400, day_start, 1000)
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        with factory() as db:
            ts, _vals = series(db, datastream_id=ds24, start_ms=day_start, end_ms=day_start + DAY)
        times.append((time.perf_counter() - t0) * 1000)
        assert len(ts) == 86_400
    print(
        f"series: 86,400 rows of the last 24 h p50 {statistics.median(times):.1f} ms, "
        f"p95 {p95(times):.1f} ms"
    )

    # hourly rollup over a year (one observation every 10 minutes → 8,760 hour buckets)
    dsy = make_stream(factory, "year")
    year_start = now_ms() - 365 * DAY
    fill(factory, dsy, 365 * 144, year_start, 600_000)
    times = []
    with httpx.Client(headers=headers, timeout=60) as http:
        for _ in range(20):
            t0 = time.perf_counter()
            r = http.get(
                f"{base}/Datastreams({dsy})/Rollups",
                params={"grain": "hour", "start": _iso(year_start), "end": _iso(now_ms())},
            )
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200 and len(r.json()["value"]) >= 8759, r.text[:200]
    print(
        f"rollup: hourly over a year (8,760 buckets, HTTP) p50 {statistics.median(times):.1f} "
        f"ms, p95 {p95(times):.1f} ms"
    )

    # storage
    dss = make_stream(factory, "storage")
    before = _size(engine, tmp)
    t0 = time.perf_counter()
    fill(factory, dss, args.storage, now_ms() - 300 * DAY, 10_000, batch=50_000)
    took = time.perf_counter() - t0
    after = _size(engine, tmp)
    with factory() as db:
        total = db.scalar(select(func.count()).select_from(Observation))
    per_obs = (after - before) / args.storage
    print(
        f"storage: {args.storage:,} obs (direct store inserts {args.storage / took:,.0f} obs/s) "
        f"took {(after - before) / 1e6:,.1f} MB = {per_obs:.0f} B/obs incl. index and rollups; "
        f"10M ≈ {per_obs * 1e7 / 1e9:.2f} GB; {total:,} rows in the table"
    )
    server.should_exit = True
    engine.dispose()
    if pg_name:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


def _size(engine: Any, tmp: Path) -> int:
    if engine.dialect.name == "sqlite":
        with engine.connect() as c:
            c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            pages = c.execute(text("PRAGMA page_count")).scalar()
            free = c.execute(text("PRAGMA freelist_count")).scalar()
            size = c.execute(text("PRAGMA page_size")).scalar()
        return int((pages - free) * size)
    with engine.connect() as c:
        return int(
            c.execute(
                text(
                    "SELECT pg_total_relation_size('sensing_observation') + "
                    "pg_total_relation_size('sensing_rollup')"
                )
            ).scalar()
        )


def _iso(ms: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


if __name__ == "__main__":
    main()
