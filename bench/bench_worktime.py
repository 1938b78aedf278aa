"""Working-time calendar: the cost of one deadline computation.

Times, over ``--n`` random start instants in 2024–2025 (holidays and make-up days
included), ``add(start, 5, working_days)``, ``add(start, 16, working_hours)``,
``elapsed(start, end, working_hours)`` over up to 60 days, and a whole deadline state
(``Deadline.start`` + ``state``), after one warm-up that builds the year tables; then the
cold cost of building one year's table.

Usage: python bench/bench_worktime.py [--n 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from citybase.worktime import Deadline, Unit, WorkCalendar, WorkClock, parse_hours

SH = ZoneInfo("Asia/Shanghai")


def _per_call_us(fn: Callable[[int], object], n: int) -> float:
    best = []
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(n):
            fn(i)
        best.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(9)
    base = dt.datetime(2024, 1, 1, tzinfo=SH)
    starts = [base + dt.timedelta(minutes=rng.randrange(0, 700 * 24 * 60)) for _ in range(args.n)]
    ends = [s + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 60)) for s in starts]
    clock = WorkClock(WorkCalendar(), parse_hours("09:00-12:00,13:30-18:00"), SH)
    t0 = time.perf_counter()
    clock.add(base, 1, Unit.working_days)
    cold_ms = (time.perf_counter() - t0) * 1e3
    for s in starts[:50]:
        clock.add(s, 80, Unit.working_days)
    now = base + dt.timedelta(days=3)
    rows = {
        "add 5 working_days": lambda i: clock.add(starts[i], 5, Unit.working_days),
        "add 16 working_hours": lambda i: clock.add(starts[i], 16, Unit.working_hours),
        "elapsed working_hours": lambda i: clock.elapsed(starts[i], ends[i], Unit.working_hours),
        "deadline start + state": lambda i: Deadline.start(
            clock, at=starts[i], amount=5, unit=Unit.working_days
        ).state(clock, now=now),
    }
    print(f"cold: building the first year table: {cold_ms:.2f} ms")
    for name, fn in rows.items():
        print(f"{name:26s} {_per_call_us(fn, args.n):7.2f} µs per call (n={args.n})")


if __name__ == "__main__":
    main()
