"""Domain events and jobs: publish cost, delivery and job throughput, stream latency.

On a throw-away database (SQLite file, or a fresh PostgreSQL database with ``--postgres``):

- publish   — one event per transaction (publish + commit), 2 subscribers: events/s;
- deliver   — ``deliver_due`` of all those deliveries by one dispatcher: deliveries/s;
              on PostgreSQL also by two dispatcher threads at once (``SKIP LOCKED``);
- jobs      — ``enqueue`` of N no-op jobs (one transaction each) and ``drain``: jobs/s;
- stream    — publish→received latency on ``/api/events/stream`` through a live uvicorn
              server (p50/p95 of ``--stream`` events, published one at a time).

Usage: python bench/bench_events.py [--events 2000] [--jobs 500] [--stream 50] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=500)
    ap.add_argument("--stream", type=int, default=50)
    ap.add_argument(
        "--postgres",
        default=None,
        help="admin URL, e.g. postgresql+psycopg://postgres@127.0.0.1/postgres",
    )
    args = ap.parse_args()

    from citybase.db import make_engine, make_session_factory, upgrade
    from citybase.events import DomainEvent, Subscriber, publish
    from citybase.events.dispatch import deliver_due
    from citybase.hookspecs import hookimpl
    from citybase.jobs import JobContext, enqueue, job
    from citybase.jobs.runtime import drain
    from citybase.plugins import get_plugin_manager
    from citybase.settings import Settings

    class Ping(DomainEvent):
        event_type = "bench.Ping"
        n: int

    seen: list[int] = []

    class Plugin:
        @hookimpl
        def citybase_event_types(self) -> list[type[Any]]:
            return [Ping]

        @hookimpl
        def citybase_event_subscribers(self) -> list[Any]:
            return [
                Subscriber("bench.a", ("bench.Ping",), lambda s, e: seen.append(1)),
                Subscriber("bench.b", ("bench.Ping",), lambda s, e: seen.append(2)),
            ]

    @job("bench.noop", max_attempts=1)
    def noop(ctx: JobContext, *, n: int) -> int:
        return n

    get_plugin_manager().register(Plugin(), name="bench")
    tmp = Path(tempfile.mkdtemp(prefix="citybase-bench-events-"))
    dbname = None
    if args.postgres:
        dbname = f"citybase_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{dbname}"'))
        url = make_url(args.postgres).set(database=dbname).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sf = make_session_factory(engine)
    settings = Settings(data_dir=tmp, database_url=url, inprocess_worker=False)
    backend = engine.dialect.name
    try:
        t = time.perf_counter()
        for i in range(args.events):
            with sf() as s:
                publish(s, Ping(n=i, public=True))
                s.commit()
        pub = time.perf_counter() - t
        each = 1000 * pub / args.events
        print(f"[{backend}] publish: {args.events / pub:,.0f} events/s ({each:.2f} ms each)")

        half = args.events  # deliveries = 2 per event
        t = time.perf_counter()
        if backend == "postgresql":
            done: list[int] = []

            def one() -> None:
                done.append(deliver_due(sf, max_attempts=3))

            ths = [threading.Thread(target=one) for _ in range(2)]
            for th in ths:
                th.start()
            for th in ths:
                th.join()
            n = sum(done)
            label = "2 dispatchers"
        else:
            n = deliver_due(sf, max_attempts=3)
            label = "1 dispatcher"
        dt_ = time.perf_counter() - t
        assert n == 2 * half and len(seen) == 2 * half, (n, len(seen))
        print(f"[{backend}] deliver ({label}): {n / dt_:,.0f} deliveries/s")

        t = time.perf_counter()
        for i in range(args.jobs):
            with sf() as s:
                enqueue(s, "bench.noop", {"n": i})
                s.commit()
        enq = time.perf_counter() - t
        t = time.perf_counter()
        totals = drain(sf, settings=settings)
        run = time.perf_counter() - t
        print(
            f"[{backend}] enqueue: {args.jobs / enq:,.0f} jobs/s; "
            f"run (drain, 2 progress events each): {totals['jobs'] / run:,.0f} jobs/s"
        )

        if args.stream:
            _stream(settings, sf, Ping, publish, args.stream, backend)
    finally:
        engine.dispose()
        if dbname:
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))


def _stream(settings: Any, sf: Any, Ping: Any, publish: Any, count: int, backend: str) -> None:
    import httpx
    import uvicorn

    from citybase.app import create_app
    from citybase.identity import service as identity_service
    from citybase.identity.enums import Role

    with sf() as s:
        user = identity_service.create_user(
            db_session=s,
            actor=None,
            username="bench",
            display_name="bench",
            password="bench-password-123",
            role=Role.platform_admin,
            department_code=None,
        )
        token, _ = identity_service.issue_token(db_session=s, user=user, name="b", days=1)
        s.commit()
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.05)
    got: dict[int, float] = {}
    ready = threading.Event()

    def read() -> None:
        with httpx.stream(
            "GET",
            f"http://127.0.0.1:{port}/api/events/stream",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as r:
            for line in r.iter_lines():
                ready.set()
                if line.startswith("data: "):
                    import json

                    got[json.loads(line[6:])["data"]["n"]] = time.perf_counter()
                    if len(got) >= count:
                        return

    rt = threading.Thread(target=read, daemon=True)
    rt.start()
    ready.wait(10)
    sent: dict[int, float] = {}
    for i in range(count):
        with sf() as s:
            publish(s, Ping(n=10**6 + i, public=True))
            sent[10**6 + i] = time.perf_counter()
            s.commit()
        time.sleep(0.02)
    rt.join(30)
    server.should_exit = True
    th.join(10)
    lat = sorted(1000 * (got[k] - sent[k]) for k in sent if k in got)
    p95 = lat[int(0.95 * (len(lat) - 1))]
    p50 = statistics.median(lat)
    print(
        f"[{backend}] stream latency publish→received: p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms ({len(lat)}/{count})"
    )


if __name__ == "__main__":
    main()
