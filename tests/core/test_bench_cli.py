"""bench/bench_cli.py runs end to end (one run each) and reports what it measures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_cli_one_run() -> None:
    proc = subprocess.run(
        [sys.executable, "bench/bench_cli.py", "--runs", "1", "--warmup", "0", "--target", "60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for label in ("citybase --help", "citybase datahub --help", "interpreter start-up"):
        assert label in proc.stdout
    assert "heavy libraries imported by `import citybase.cli`:" in proc.stdout
    assert "within the 60.0 s target" in proc.stdout
