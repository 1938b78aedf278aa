"""The benchmark scripts run end to end at a tiny size (the real figures come from full runs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_bench_ingest_small() -> None:
    out = run("bench/bench_ingest.py", "--rows", "3000", "--repeat", "1")
    assert "DuckDB COPY" in out and "citybase UTF8" in out and "citybase GBK" in out
    assert "CKAN xloader" in out


def test_bench_query_small() -> None:
    out = run("bench/bench_query.py", "--rows", "3000", "--pages", "3")
    assert "first page" in out and "keyset" in out and "p95" in out


def test_make_residents_csv(tmp_path: Path) -> None:
    out = run(
        "bench/make_residents_csv.py",
        "--rows",
        "500",
        "--out",
        str(tmp_path / "r.csv"),
        "--gbk-out",
        str(tmp_path / "g.csv"),
    )
    assert "500 rows" in out
    text = (tmp_path / "r.csv").read_text("utf-8")
    assert text.count("\n") == 501
    assert (tmp_path / "g.csv").read_bytes().decode("gbk") == text
