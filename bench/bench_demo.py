"""Time building the whole demo city (every domain's demo steps) in a fresh data dir.

Usage: python bench/bench_demo.py [--seed 2021]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console

from citybase.demo.service import build_demo
from citybase.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=2021)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = build_demo(
            settings=Settings(data_dir=Path(tmp)), seed=args.seed, console=Console(quiet=True)
        )
        total = time.perf_counter() - t0
    print(f"demo city built in {total:.1f} s (target < 60 s)")
    for step, secs in result["step_seconds"].items():  # type: ignore[union-attr]
        print(f"  {step:<14} {secs:6.2f} s")


if __name__ == "__main__":
    main()
