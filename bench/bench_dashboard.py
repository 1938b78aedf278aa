"""The dashboard on the demo city: first-paint data time, and what 50 open screens cost.

    python bench/bench_dashboard.py [--data bench/out/dashboard-demo] [--clients 50]
                                    [--rate 2] [--seconds 15]

1. Builds the demo city once (SQLite, seed 7; reused when built).
2. First paint: ``service.layout_data`` for the city layout in-process without the result
   cache (what one screen's first request computes), and ``GET /api/dashboard/city/data``
   through the live server.
3. Live: serves the demo with ``citybase``'s app in a child process that publishes
   ``workflow.Transitioned`` sharing events at ``--rate`` per second (public, so every screen
   sees them), opens ``--clients`` SSE streams that behave as the page does (debounced refetch
   of the widgets whose ``refresh_on`` matched) and reads the server's CPU time and memory
   from /proc over the run — first with no screen open (the publisher and dispatcher alone),
   then with the screens.
Everything stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the server child ----------------------------------------------------------------------


def serve(data: Path, port: int, rate: float) -> None:
    """Run the app and publish ``rate`` events per second while ``data/publish`` exists."""
    import uvicorn

    from citybase.app import create_app
    from citybase.db import make_engine, make_session_factory
    from citybase.events import publish
    from citybase.settings import Settings
    from citybase.workflow.events import Transitioned

    settings = Settings(data_dir=data)
    flag = data / "publish"
    sf = make_session_factory(make_engine(settings.effective_database_url))

    def publisher() -> None:
        n = 0
        while True:
            if not flag.exists():
                time.sleep(0.05)
                continue
            started = time.monotonic()
            n += 1
            with sf() as s:
                publish(
                    s,
                    Transitioned(
                        workflow="sharing_request",
                        instance_id=n,
                        subject_type="sharing_request",
                        subject_id=str(n),
                        action="bench",
                        from_state="pending",
                        to_state="pending",
                        actor="bench",
                        public=True,
                    ),
                )
                s.commit()
            time.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))

    threading.Thread(target=publisher, daemon=True).start()
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


# --- measuring -----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build(data: Path) -> None:
    from rich.console import Console

    from citybase.demo.service import build_demo
    from citybase.settings import Settings

    build_demo(settings=Settings(data_dir=data), seed=7, console=Console(quiet=True))


def admin_token(data: Path) -> str:
    from citybase.db import make_engine, make_session_factory
    from citybase.identity import service as identity_service
    from citybase.settings import Settings

    sf = make_session_factory(make_engine(Settings(data_dir=data).effective_database_url))
    with sf() as s:
        user = identity_service.get_user_by_username(db_session=s, username="admin")
        assert user is not None
        token, _ = identity_service.issue_token(db_session=s, user=user, name="bench", days=1)
        s.commit()
    return token


def first_paint_in_process(data: Path, rounds: int = 20) -> list[float]:
    from citybase.dashboard import service
    from citybase.db import make_engine, make_session_factory
    from citybase.identity import service as identity_service
    from citybase.settings import Settings

    settings = Settings(data_dir=data)
    sf = make_session_factory(make_engine(settings.effective_database_url))
    times = []
    with sf() as s:
        user = identity_service.get_user_by_username(db_session=s, username="admin")
        assert user is not None
        layout = service.open_layout(settings=settings, user=user, key="city")
        for _ in range(rounds):
            t = time.perf_counter()
            service.layout_data(
                db_session=s, settings=settings, user=user, layout=layout, locale="zh-CN"
            )
            times.append((time.perf_counter() - t) * 1000)
    return times


async def screens(
    url: str,
    headers: dict[str, str],
    clients: int,
    seconds: float,
    rules: dict[str, Any],
    refetching: bool = True,
) -> dict[str, list[float]]:
    """``clients`` pages: an SSE stream each, refetching matching widgets (debounced)."""
    delivery: list[float] = []
    refetch: list[float] = []
    failed: list[float] = []
    flushes: list[asyncio.Task[None]] = []
    limits = httpx.Limits(max_connections=clients * 2 + 10)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as http:

        async def page() -> None:
            dirty: set[str] = set()
            pending: asyncio.Task[None] | None = None

            async def flush() -> None:
                await asyncio.sleep(0.25)
                keys = sorted(dirty)
                dirty.clear()
                t = time.perf_counter()
                try:
                    r = await http.get(
                        "/api/dashboard/city/data", params={"widgets": ",".join(keys)}
                    )
                    r.raise_for_status()
                    refetch.append((time.perf_counter() - t) * 1000)
                except httpx.HTTPError:
                    failed.append(1.0)

            async with http.stream("GET", "/api/events/stream") as stream:
                async for line in stream.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    ev = json.loads(line[6:])
                    at = time.time() - _epoch(ev["at"])
                    delivery.append(at * 1000)
                    for key, matches in rules.items():
                        if any(
                            m["type"] in ("*", ev["type"])
                            and all(str(ev["data"].get(f)) == v for f, v in m["where"].items())
                            for m in matches
                        ):
                            dirty.add(key)
                    if not refetching:
                        dirty.clear()
                    if dirty and (pending is None or pending.done()):
                        pending = asyncio.create_task(flush())
                        flushes.append(pending)

        tasks = [asyncio.create_task(page()) for _ in range(clients)]
        await asyncio.sleep(seconds)
        for t in tasks + flushes:
            t.cancel()
        await asyncio.gather(*tasks, *flushes, return_exceptions=True)
    return {"delivery": delivery, "refetch": refetch, "failed": failed}


def _epoch(iso: str) -> float:
    import datetime as dt

    at = dt.datetime.fromisoformat(iso)
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).timestamp()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "dashboard-demo")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rate", type=float, default=2.0)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.data, args.port, args.rate)
        return

    args.data.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    build(args.data)
    print(f"demo city ready in {time.perf_counter() - t:.1f} s ({args.data})")
    (args.data / "publish").unlink(missing_ok=True)
    cold = first_paint_in_process(args.data)
    print(
        f"first paint, in process, no cache: first {cold[0]:.1f} ms, "
        f"median {statistics.median(cold[1:]):.1f} ms, max {max(cold[1:]):.1f} ms"
    )

    token = admin_token(args.data)
    headers = {"Authorization": f"Bearer {token}"}
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--data",
            str(args.data),
            "--port",
            str(port),
            "--rate",
            str(args.rate),
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        http_times = []
        for _ in range(10):
            t = time.perf_counter()
            r = httpx.get(url + "/api/dashboard/city/data", headers=headers, timeout=30)
            r.raise_for_status()
            http_times.append((time.perf_counter() - t) * 1000)
        print(
            f"first paint over HTTP: first {http_times[0]:.1f} ms, "
            f"median of the next 9 {statistics.median(http_times[1:]):.1f} ms "
            f"({len(r.content) / 1024:.0f} KiB)"
        )
        definition = httpx.get(url + "/api/dashboard/city", headers=headers, timeout=30).json()
        rules = {k: w["refresh_on"] for k, w in definition["widgets"].items() if w["refresh_on"]}

        flag = args.data / "publish"
        rss0 = rss_mb(child.pid)
        flag.touch()
        c0, t0 = cpu_seconds(child.pid), time.monotonic()
        time.sleep(min(10.0, args.seconds))
        base = (cpu_seconds(child.pid) - c0) / (time.monotonic() - t0)
        print(f"no screen open, {args.rate:g} events/s: server CPU {base:.3f} core")

        def run(refetching: bool, seconds: float) -> tuple[float, dict[str, list[float]]]:
            c0, t0 = cpu_seconds(child.pid), time.monotonic()
            got = asyncio.run(screens(url, headers, args.clients, seconds, rules, refetching))
            elapsed = time.monotonic() - t0
            return (cpu_seconds(child.pid) - c0 - base * elapsed) / elapsed, got

        streams_only, got_a = run(False, min(10.0, args.seconds))
        used, got = run(True, args.seconds)
        flag.unlink(missing_ok=True)
        rss1 = rss_mb(child.pid)
        # On a machine shared with other work the server may get less CPU than it asks for
        # and then does less work, so also give the cost per unit of work: per event
        # delivered to one screen (the stream) and per refetch, and what the full rate needs.
        per_delivery = streams_only * min(10.0, args.seconds) / max(1, len(got_a["delivery"]))
        cpu_b = used * args.seconds
        per_refetch = max(0.0, cpu_b - per_delivery * len(got["delivery"])) / max(
            1, len(got["refetch"])
        )
        need = args.rate * args.clients * (per_delivery + per_refetch) + base
        print(
            f"{args.clients} screens, {args.rate:g} events/s: server CPU over the publisher's "
            f"{base:.3f} core: streams only {streams_only:+.3f} core, streams and refetches "
            f"{used:+.3f} core; RSS {rss0:.0f} → {rss1:.0f} MiB"
        )
        print(
            f"  per event per screen: stream {per_delivery * 1000:.2f} ms, refetch "
            f"{per_refetch * 1000:.2f} ms of server CPU → {need:.3f} core for every screen "
            f"refetching every event (load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores)"
        )
        print(
            f"  events received {len(got['delivery'])}: delivery p50 "
            f"{pct(got['delivery'], 0.5):.0f} ms, p95 {pct(got['delivery'], 0.95):.0f} ms; "
            f"refetches {len(got['refetch'])}: p50 {pct(got['refetch'], 0.5):.0f} ms, "
            f"p95 {pct(got['refetch'], 0.95):.0f} ms, failed {len(got['failed'])}"
        )
    finally:
        (args.data / "publish").unlink(missing_ok=True)
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    main()
