"""Full ingestion (load + profile + quality rules) vs DuckDB's own CSV→Parquet COPY.

Usage: python bench/bench_ingest.py [--rows 1000000] [--repeat 3] [--no-gbk] [--workdir DIR]

Generates the resident register (bench/make_residents_csv.py) as UTF-8 and as GBK, then per
repetition times, in alternation so machine load hits both alike:
- baseline: ``COPY (SELECT * FROM read_csv('…')) TO '….parquet'`` on a fresh DuckDB
  connection (DuckDB's defaults: auto-detection, snappy). DuckDB cannot read GBK offline,
  so the GBK run is compared with the baseline on the UTF-8 copy of the same data;
- citybase: ``ingest_file`` + ``profile_parquet`` + ``run_rules`` with not_null(phone),
  unique(id_number), checksum gb11643(id_number), regex(phone), range(birth_date years).
Prints the machine load, medians (wall and process CPU seconds, which machine load disturbs
less; with the CPU of the iconv processes), the ratios
to the baseline (target <= 3x; also best run vs best run), rows/s, and the speed-up over
CKAN xloader's published 1,033,882 rows in 206 s (target >= 50x).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_residents_csv import write_residents

from citybase.datahub.ingest import ingest_file
from citybase.datahub.profile import profile_parquet
from citybase.datahub.quality import run_rules
from citybase.datahub.types import IngestOptions, QualityRule

XLOADER_ROWS = 1_033_882
XLOADER_SECONDS = 206.0
RULES = [
    QualityRule(name="phone present", kind="not_null", column="phone"),
    QualityRule(name="one row per person", kind="unique", column="id_number"),
    QualityRule(
        name="ID check character", kind="checksum", column="id_number", params={"scheme": "gb11643"}
    ),
    QualityRule(
        name="mobile number", kind="regex", column="phone", params={"pattern": r"1[3-9]\d{9}"}
    ),
    QualityRule(
        name="born 1900 to today",
        kind="range",
        column="birth_date",
        params={"min": "1900-01-01", "max": dt.date.today().isoformat()},
    ),
]


def _cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the iconv transcoders)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def baseline(source: Path, out: Path) -> dict[str, float]:
    con = duckdb.connect()
    started, cpu = time.perf_counter(), _cpu_seconds()
    con.execute(f"COPY (SELECT * FROM read_csv('{source}')) TO '{out}' (FORMAT parquet)")
    result = {"total": time.perf_counter() - started, "cpu": _cpu_seconds() - cpu}
    con.close()
    out.unlink()
    return result


def citybase(source: Path, dest: Path) -> dict[str, float]:
    cpu = _cpu_seconds()
    t0 = time.perf_counter()
    result = ingest_file(source, dest=dest, options=IngestOptions())
    t1 = time.perf_counter()
    profile_parquet(dest, mask_columns={"name", "id_number", "phone"})
    t2 = time.perf_counter()
    report = run_rules(dest, RULES)
    t3 = time.perf_counter()
    cpu = _cpu_seconds() - cpu
    assert result.row_count > 0 and report.results
    dest.unlink()
    return {"ingest": t1 - t0, "profile": t2 - t1, "rules": t3 - t2, "total": t3 - t0, "cpu": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-gbk", action="store_true")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        utf8, gbk = work / "residents.csv", work / "residents-gbk.csv"
        started = time.perf_counter()
        write_residents(utf8, args.rows, gbk_out=None if args.no_gbk else gbk)
        print(
            f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s: "
            f"UTF-8 {utf8.stat().st_size / 1e6:.1f} MB"
            + ("" if args.no_gbk else f", GBK {gbk.stat().st_size / 1e6:.1f} MB")
        )
        load_before = os.getloadavg()[0]
        runs: dict[str, list[dict[str, float]]] = {"utf8": [], "gbk": []}
        base: list[dict[str, float]] = []
        for _ in range(args.repeat):
            base.append(baseline(utf8, work / "baseline.parquet"))
            runs["utf8"].append(citybase(utf8, work / "citybase.parquet"))
            if not args.no_gbk:
                runs["gbk"].append(citybase(gbk, work / "citybase-gbk.parquet"))
        print(
            f"machine load (1-min average) {load_before:.2f} before, "
            f"{os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores"
        )
        b = statistics.median(x["total"] for x in base)
        b_cpu = statistics.median(x["cpu"] for x in base)
        b_best = min(x["total"] for x in base)
        xloader_rate = XLOADER_ROWS / XLOADER_SECONDS
        print(
            f"DuckDB COPY read_csv -> parquet (UTF-8): {b:.3f} s wall, {b_cpu:.3f} s CPU "
            f"({args.rows / b:,.0f} rows/s)  [median of {args.repeat}]"
        )
        for label, samples in runs.items():
            if not samples:
                continue
            med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
            best = min(s["total"] for s in samples)
            rate = args.rows / med["total"]
            print(
                f"citybase {label.upper():5}: ingest {med['ingest']:.3f} s + profile "
                f"{med['profile']:.3f} s + rules {med['rules']:.3f} s = {med['total']:.3f} s "
                f"wall, {med['cpu']:.3f} s CPU"
            )
            print(
                f"    ratio to DuckDB COPY: {med['total'] / b:.2f}x wall, "
                f"{med['cpu'] / b_cpu:.2f}x CPU, best runs {best / b_best:.2f}x wall "
                f"(target <= 3x); {rate:,.0f} rows/s = "
                f"{rate / xloader_rate:.0f}x CKAN xloader's {xloader_rate:,.0f} rows/s "
                "(target >= 50x)"
            )


if __name__ == "__main__":
    main()
