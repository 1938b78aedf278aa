"""Latency of ``read_rows`` pages (100 rows) on the 1M-row resident register in Parquet.

Usage: python bench/bench_query.py [--rows 1000000] [--pages 200] [--parquet FILE]

Without --parquet the register is generated (bench/make_residents_csv.py) and loaded with
``ingest_file`` first. Each scenario requests --pages pages after 5 warm-up pages, in one
thread as a web worker would, and prints p50/p95 in milliseconds. Target: p95 < 50 ms for
first page, deep offset, keyset and filtered pages. Sorting by an unindexed text column and
free-text search scan every row and are printed for information.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_residents_csv import write_residents

from citybase.datahub.ingest import ingest_file
from citybase.datahub.query import ROW_KEY, read_rows
from citybase.datahub.types import IngestOptions, RowFilter, RowQuery

TARGET_MS = 50.0


def timed(pages: int, make: Callable[[], RowQuery], follow: bool, path: Path) -> list[float]:
    """Milliseconds per page; ``follow`` walks next_after from page to page (keyset)."""
    times: list[float] = []
    query = make()
    for i in range(pages + 5):
        started = time.perf_counter()
        page = read_rows(path, query)
        elapsed = (time.perf_counter() - started) * 1000
        if i >= 5:
            times.append(elapsed)
        assert len(page.rows) <= 100
        if follow and page.next_after is not None:
            query = query.model_copy(update={"after": page.next_after})
        else:
            query = make()
    return times


def scenarios(rows: int, path: Path) -> Iterator[tuple[str, bool, Callable[[], RowQuery], bool]]:
    rnd = random.Random(7)
    ids = pq.read_table(path, columns=["id_number"]).column(0).to_pylist()
    yield "first page", True, lambda: RowQuery(limit=100), False
    yield (
        "deep offset (random, 50-100 %)",
        True,
        lambda: RowQuery(
            limit=100, offset=rnd.randrange(rows // 2, max(rows // 2 + 1, rows - 100))
        ),
        False,
    )
    yield (
        "keyset from a random row",
        True,
        lambda: RowQuery(limit=100, after={ROW_KEY: rnd.randrange(1, max(2, rows - 10_000))}),
        True,
    )
    yield (
        "filter sex = 女, keyset",
        True,
        lambda: RowQuery(limit=100, filters=[RowFilter(column="sex", value="女")]),
        True,
    )
    born = [RowFilter(column="birth_date", op="ge", value="2000-01-01")]
    yield (
        "filter birth_date >= 2000-01-01, keyset",
        True,
        lambda: RowQuery(limit=100, filters=born),
        True,
    )
    yield (
        "filter birth_date >= 2000-01-01, offset up to rows/10",
        False,
        lambda: RowQuery(limit=100, filters=born, offset=rnd.randrange(0, max(1, rows // 10))),
        False,
    )
    yield (
        "filter household_size in (5, 6) + sex, keyset",
        True,
        lambda: RowQuery(
            limit=100,
            filters=[
                RowFilter(column="household_size", op="in", value=[5, 6]),
                RowFilter(column="sex", value="男"),
            ],
        ),
        True,
    )
    yield (
        "point lookup id_number = (uncached total)",
        False,
        lambda: RowQuery(limit=100, filters=[RowFilter(column="id_number", value=rnd.choice(ids))]),
        False,
    )
    yield ("sort by name, keyset", False, lambda: RowQuery(limit=100, sort=[("name", "asc")]), True)
    yield ("q = 建国 (search all text columns)", False, lambda: RowQuery(limit=100, q="建国"), True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--parquet", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.parquet
        if path is None:
            csv_path, path = Path(tmp) / "residents.csv", Path(tmp) / "residents.parquet"
            write_residents(csv_path, args.rows)
            ingest_file(csv_path, dest=path, options=IngestOptions())
        rows = pq.ParquetFile(path).metadata.num_rows
        print(
            f"{rows:,} rows, {path.stat().st_size / 1e6:.1f} MB Parquet, "
            f"{args.pages} pages per scenario, 100 rows per page"
        )
        for label, targeted, make, follow in scenarios(rows, path):
            times = sorted(timed(args.pages, make, follow, path))
            p50 = statistics.median(times)
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            verdict = ("ok" if p95 < TARGET_MS else "OVER") if targeted else "info"
            print(f"  {label:<54} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   [{verdict}]")


if __name__ == "__main__":
    main()
