"""De-identification throughput: a realistic policy on 1,000,000 synthetic residents.

Usage: python bench/bench_deid.py [--rows 1000000] [--repeat 2]

The residents come from the demo city's generator (unique identity numbers, households sharing
addresses), so pseudonymisation really hashes a million distinct values. Target: ≥ 500,000
rows/s for the whole policy. Also prints each column's share and the AES-GCM rate on its own.
"""

from __future__ import annotations

import argparse
import time

import pyarrow as pa

from citybase.demo.generate import generate_geography
from citybase.demo.generate_people import build_residents
from citybase.privacy.deid import DeidPolicy, apply_policy, decrypt_column
from citybase.privacy.operators import Keys

POLICY = """
columns:
  id_number: [{op: pseudonymise}]
  name: [{op: mask, keep_first: 1}]
  mobile: [{op: mask, keep_first: 3, keep_last: 4}]
  birth_date: [{op: generalise, kind: date, to: year}]
  address: [{op: generalise, kind: address, to: street}]
  district_code: [{op: generalise, kind: division, to: prefecture}]
  lon: [{op: generalise, kind: coordinate, cell: 0.01}]
  lat: [{op: generalise, kind: coordinate, cell: 0.01}]
  hukou_address: [{op: generalise, kind: address, to: city}]
  household_id: [{op: pseudonymise}]
"""
KEY = b"bench-key-0123456789abcdef012345"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    table: pa.Table = build_residents(
        2021, generate_geography(2021), args.rows, lambda *a: None
    ).table
    print(f"generated {table.num_rows:,} residents in {time.perf_counter() - t0:.1f} s")
    policy = DeidPolicy.from_yaml(POLICY)
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = apply_policy(table, policy, key=KEY, key_id="k1")
        best = min(best, time.perf_counter() - t0)
    rate = table.num_rows / best
    print(
        f"whole policy ({len(policy.columns)} columns): {best:.2f} s, {rate:,.0f} rows/s "
        f"(target 500,000; ratio {rate / 500_000:.2f})"
    )
    keys = Keys.derive(KEY, "k1")
    for name, ops in policy.columns.items():
        column = table.column(name).combine_chunks()
        t0 = time.perf_counter()
        for op in ops:
            column = op.apply(column, keys)
        print(f"  {name:<14} {', '.join(o.op for o in ops):<14} {time.perf_counter() - t0:6.3f} s")
    sample = out.slice(0, 1).to_pylist()[0]
    print(
        "  first row:",
        {k: sample[k] for k in ("id_number", "name", "mobile", "birth_date", "address")},
    )
    n = min(200_000, table.num_rows)
    names = table.column("name").slice(0, n)
    enc = DeidPolicy.parse({"columns": {"name": [{"op": "encrypt"}]}})
    t0 = time.perf_counter()
    sealed = apply_policy(pa.table({"name": names}), enc, key=KEY, key_id="k1")
    t_enc = time.perf_counter() - t0
    t0 = time.perf_counter()
    plain = decrypt_column(sealed.column("name"), keys={"k1": KEY})
    t_dec = time.perf_counter() - t0
    assert plain.to_pylist() == names.to_pylist()
    print(
        f"AES-256-GCM on {n:,} names: encrypt {n / t_enc:,.0f} values/s, "
        f"decrypt {n / t_dec:,.0f} values/s"
    )


if __name__ == "__main__":
    main()
