"""/api/health requests/s: citybase vs a bare FastAPI app, one uvicorn worker each, wrk on loopback.

Usage: python bench/bench_health.py [--seconds 10] [--connections 32]
Prints both rates and the ratio citybase / bare (the ceiling).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(target: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}/api/health"
    for _ in range(200):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{target} did not start")


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise SystemExit(out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} error responses\n{out}")
    return float(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit(
            "wrk is not installed: apt-get install wrk (or run scripts/system-deps.sh)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        env = {"CITYBASE_DATA_DIR": tmp}
        subprocess.run(
            [sys.executable, "-m", "citybase.cli", "db", "upgrade"],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        results = {}
        for name, target, extra in (
            ("bare FastAPI", "bench.bare_app:app", {}),
            ("citybase", "citybase.asgi:app", env),
        ):
            proc, url = serve(target, extra)
            try:
                wrk(url, 2, args.connections)  # warm-up
                results[name] = wrk(url, args.seconds, args.connections)
            finally:
                proc.terminate()
                proc.wait(10)
    bare, cb = results["bare FastAPI"], results["citybase"]
    print(f"bare FastAPI /api/health : {bare:,.0f} req/s")
    print(f"citybase /api/health     : {cb:,.0f} req/s  (SQLite, migration check per request)")
    print(f"ratio citybase / bare    : {cb / bare:.2f}")


if __name__ == "__main__":
    main()
