"""How long the ``citybase`` command takes to answer, as an operator runs it (like hyperfine).

Usage: python bench/bench_cli.py [--runs 15] [--warmup 2] [--python PATH] [--target 0.3]

Runs each command as a fresh subprocess (``python -m citybase.cli …``, the same code the
``citybase`` entry point runs), ``--warmup`` times unmeasured (file cache), then ``--runs``
times, and prints min / median / max wall seconds and the median CPU seconds (user + system,
which other processes' load disturbs less) per command, plus the machine's load and the
interpreter's own start-up for comparison. Exits 1 when a median is over ``--target``.
Also lists which heavy libraries ``import citybase.cli`` pulls in (there should be none).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

COMMANDS: list[list[str]] = [
    ["--help"],
    ["datahub", "--help"],
    ["audit", "--help"],
    ["version"],
]
HEAVY = ("fastapi", "sqlalchemy", "duckdb", "pyarrow", "jieba", "numpy", "pydantic", "alembic")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(argv: list[str], runs: int, warmup: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of each run."""
    env = {**os.environ, "COLUMNS": "100"}
    wall: list[float] = []
    cpu: list[float] = []
    for i in range(warmup + runs):
        cpu_before = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, env=env, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
        if i >= warmup:
            wall.append(elapsed)
            cpu.append(_children_cpu() - cpu_before)
    return wall, cpu


def _heavy_imports(python: str) -> list[str]:
    code = f"import sys, citybase.cli; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--target", type=float, default=0.3, help="median seconds, at most")
    args = parser.parse_args()

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, ", end="")
    print(f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; Python {platform.python_version()}")
    print(f"{args.runs} runs after {args.warmup} warm-up runs each; seconds\n")
    rows = [("python -c pass (interpreter start-up)", [args.python, "-c", "pass"])]
    rows += [(f"citybase {' '.join(c)}", [args.python, "-m", "citybase.cli", *c]) for c in COMMANDS]
    print(f"{'command':40} {'min':>6} {'median':>6} {'max':>6}   {'CPU median':>10}")
    over = []
    for label, argv in rows:
        t, cpu = _time(argv, args.runs, args.warmup)
        med = statistics.median(t)
        line = f"{label:40} {min(t):6.3f} {med:6.3f} {max(t):6.3f}   {statistics.median(cpu):10.3f}"
        print(line)
        if label.startswith("citybase") and med > args.target:
            over.append(label)
    heavy = _heavy_imports(args.python)
    print(f"\nheavy libraries imported by `import citybase.cli`: {', '.join(heavy) or 'none'}")
    if over:
        print(f"over the {args.target} s target: {', '.join(over)}")
        sys.exit(1)
    print(f"every median within the {args.target} s target")


if __name__ == "__main__":
    main()
