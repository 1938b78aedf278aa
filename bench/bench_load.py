"""Many users at once: wrk against a live citybase serving the demo city, on SQLite and PostgreSQL.

Usage:
  python bench/bench_load.py [--seconds 30] [--connections 32] [--backends sqlite,postgres]
                             [--src DIR] [--workers2] [--keep DIR]

For each backend it builds the demo city (``citybase demo --no-serve``; PostgreSQL in a fresh
database), starts ``citybase serve`` (one worker; with --workers2 also two on PostgreSQL) and
runs wrk (1 thread, 32 connections, 30 s) on:

  open_rows    GET  /api/datahub/datasets/sthj-air-stations/rows?limit=50   (admin token)
  grant_rows   GET  /api/datahub/datasets/gaj-residents/rows?limit=50        (数据局 under its
               grant: columns narrowed, ID numbers pseudonymised, every read audited)
  token_mint   POST /api/auth/token  (argon2id password check, token insert, audit record)
  write        PATCH /api/datahub/datasets/sthj-air-stations  (a new description each time;
               the update and its audit record in one transaction)
  health       GET  /api/health
and, as the anchor, GET /api/health of a bare FastAPI app (bench/bare_app.py) in the same run.

It prints requests/s, the number of 5xx and other non-2xx answers (counted by a Lua script,
not inferred), latency p50/p99 and the server's CPU time per request (user + system of the
server processes, from /proc) — the last is steadier than requests/s on a busy machine.
``--src DIR`` serves another checkout's code (e.g. the commit before a change: "before").
After the runs the audit chain of each city is verified.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "CITYBASE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "citybase-demo"

LUA_COUNT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) s5 = 0; s4 = 0; s2 = 0; n = 0 end
function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1 elseif status >= 300 then s4 = s4 + 1 else s2 = s2 + 1 end
end
function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do a = a + t:get("s5"); b = b + t:get("s4"); c = c + t:get("s2") end
  io.write(string.format("COUNTS %d %d %d\\n", a, b, c))
  io.write(string.format("LATENCY %f %f\\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end
"""

LUA_TOKEN = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"analyst","password":"citybase-demo"}'
"""

LUA_WRITE = """
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/json"
local i = 0
request = function()
  i = i + 1
  local body = string.format('{"description":"空气质量自动监测站点（负载测试第%d-%d次修改）"}',
                             math.random(1, 1000000000), i)
  return wrk.format(nil, nil, nil, body)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(src: Path, data_dir: Path, db_url: str | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(src / "src"), "CITYBASE_DATA_DIR": str(data_dir)}
    env["CITYBASE_LOG_LEVEL"] = "WARNING"
    env.pop("CITYBASE_DATABASE_URL", None)
    if db_url:
        env["CITYBASE_DATABASE_URL"] = db_url
    return env


def build_city(src: Path, data_dir: Path, db_url: str | None) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "citybase.cli", "demo", "--no-serve"],
        env=env_for(src, data_dir, db_url),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def start(cmd: list[str], env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    for _ in range(300):
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {' '.join(cmd)}")
        time.sleep(0.1)
    stop(proc)
    raise SystemExit(f"server did not start: {' '.join(cmd)}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (uvicorn workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task")
    seen: set[int] = set()
    while pids:
        p = pids.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                pids.extend(int(k) for k in kids)
        except (FileNotFoundError, ProcessLookupError):
            continue
    del children
    return total


def wrk(
    url: str,
    seconds: int,
    connections: int,
    headers: dict[str, str],
    lua: str = "",
    server_pid: int | None = None,
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua + LUA_COUNT)
        script = f.name
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    cpu0 = cpu_seconds(server_pid) if server_pid else 0.0
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    cpu1 = cpu_seconds(server_pid) if server_pid else 0.0
    os.unlink(script)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    s5, s4, s2 = (int(x) for x in re.search(r"COUNTS (\d+) (\d+) (\d+)", out).groups())  # type: ignore[union-attr]
    p50, p99 = (float(x) for x in re.search(r"LATENCY ([\d.]+) ([\d.]+)", out).groups())  # type: ignore[union-attr]
    errors = re.search(r"Socket errors: (.*)", out)
    total = s5 + s4 + s2
    return {
        "rps": rate,
        "5xx": s5,
        "non2xx": s4,
        "ok": s2,
        "p50_ms": p50,
        "p99_ms": p99,
        "socket_errors": errors.group(1) if errors else "",
        "cpu_ms_per_req": (cpu1 - cpu0) * 1000 / total if total and server_pid else None,
    }


def token(url: str, username: str) -> str:
    r = httpx.post(
        url + "/api/auth/token", json={"username": username, "password": PASSWORD}, timeout=30
    )
    r.raise_for_status()
    return str(r.json()["token"])


def scenarios(url: str) -> list[tuple[str, str, dict[str, str], str]]:
    admin = {"Authorization": f"Bearer {token(url, 'admin')}"}
    zsj = {"Authorization": f"Bearer {token(url, 'zsj_steward')}"}
    r = httpx.get(
        url + "/api/datahub/datasets/gaj-residents/rows", params={"limit": 5}, headers=zsj
    )
    if r.status_code != 200:
        raise SystemExit(f"grant read refused: {r.status_code} {r.text[:200]}")
    ds = "/api/datahub/datasets"
    return [
        ("open_rows", f"{url}{ds}/sthj-air-stations/rows?limit=50", admin, ""),
        ("grant_rows", f"{url}{ds}/gaj-residents/rows?limit=50", zsj, ""),
        ("token_mint", f"{url}/api/auth/token", {}, LUA_TOKEN),
        ("write", f"{url}{ds}/sthj-air-stations", admin, LUA_WRITE),
        ("health", f"{url}/api/health", {}, ""),
    ]


def verify_audit(src: Path, data_dir: Path, db_url: str | None) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "citybase.cli", "audit", "verify"],
        env=env_for(src, data_dir, db_url),
        capture_output=True,
        text=True,
    )
    return (out.stdout + out.stderr).strip().splitlines()[-1] if out.stdout or out.stderr else "?"


def pg_database() -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"citybase_bench_{os.getpid()}_{int(time.time())}"
    eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False), name


def drop_pg(name: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def run_server(
    label: str,
    src: Path,
    data_dir: Path,
    db_url: str | None,
    workers: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "citybase.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    proc = start(cmd, env_for(src, data_dir, db_url), url)
    results: dict[str, Any] = {}
    try:
        for name, target, headers, lua in scenarios(url):
            res = wrk(target, args.seconds, args.connections, headers, lua, proc.pid)
            results[name] = res
            cpu = res["cpu_ms_per_req"]
            print(
                f"{label:<22} {name:<11} {res['rps']:8.1f} req/s  5xx {res['5xx']:<4} "
                f"non-2xx {res['non2xx']:<4} p50 {res['p50_ms']:7.1f} ms  p99 "
                f"{res['p99_ms']:7.1f} ms  cpu {cpu if cpu is None else round(cpu, 2)} ms/req"
                f"{'  socket errors ' + res['socket_errors'] if res['socket_errors'] else ''}",
                flush=True,
            )
    finally:
        stop(proc)
    return results


def bare_health(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare_app:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = start(cmd, {**os.environ}, url)
    try:
        res = wrk(f"{url}/api/health", args.seconds, args.connections, {}, "", proc.pid)
    finally:
        stop(proc)
    print(f"{'bare FastAPI':<22} {'health':<11} {res['rps']:8.1f} req/s", flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--src", type=Path, default=ROOT, help="checkout whose code is served")
    ap.add_argument("--workers2", action="store_true", help="also 2 workers on PostgreSQL")
    ap.add_argument("--keep", type=Path, help="reuse/keep demo cities under this directory")
    ap.add_argument("--json", type=Path, help="write all figures here")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} cores, load {load:.2f}; src {args.src}; "
        f"wrk -t1 -c{args.connections} -d{args.seconds}s",
        flush=True,
    )
    base = args.keep or Path(tempfile.mkdtemp(prefix="citybase-load-"))
    report: dict[str, Any] = {"bare": bare_health(args)}
    for backend in args.backends.split(","):
        data_dir = base / f"{backend}-city"
        db_url, pg_name = (None, None)
        if backend == "postgres":
            db_url, pg_name = pg_database()
            if data_dir.exists():
                shutil.rmtree(data_dir)
        try:
            built = build_city(args.src, data_dir, db_url)
            print(f"{backend}: demo city built in {built:.1f} s", flush=True)
            report[f"{backend}-1"] = run_server(
                f"{backend} 1 worker", args.src, data_dir, db_url, 1, args
            )
            if backend == "postgres" and args.workers2:
                report[f"{backend}-2"] = run_server(
                    f"{backend} 2 workers", args.src, data_dir, db_url, 2, args
                )
            print(f"{backend}: audit verify: {verify_audit(args.src, data_dir, db_url)}")
        finally:
            if pg_name:
                drop_pg(pg_name)
    bare = report["bare"]["rps"]
    for key, res in report.items():
        if key == "bare":
            continue
        print(f"{key}: health / bare FastAPI = {res['health']['rps'] / bare:.2f}")
    if "postgres-2" in report:
        for name in report["postgres-1"]:
            ratio = report["postgres-2"][name]["rps"] / report["postgres-1"][name]["rps"]
            print(f"postgres 2 workers / 1 worker, {name}: {ratio:.2f}")
    five = sum(r[n]["5xx"] for k, r in report.items() if k != "bare" for n in r)
    print(f"5xx responses in all runs: {five}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
