"""Optimal k-anonymous generalisation on UCI Adult and KDD Census-Income.

Usage: python bench/bench_kanon.py [--k 5] [--suppression 0.01]
       (needs the data files: python bench/datasets.py --fetch)

8 quasi-identifiers each (age, sex, race, marital status, education, native country, work
class, occupation), hierarchies shipped in citybase/privacy/data/hierarchies. Targets: Adult
≤ 5 s, KDD (199,523 rows) ≤ 60 s. Prints the chosen levels and the information loss.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datasets import ADULT, ADULT_QIS, KDD, KDD_QIS, find, load_adult, load_kdd
from citybase.privacy.anonymity import k_anonymity
from citybase.privacy.hierarchies import Hierarchy, age_hierarchy, builtin_csv_hierarchy
from citybase.privacy.lattice import apply_generalisation, search_optimal
from citybase.privacy.risk import risk_report


def run(label: str, table, qis: list[str], dataset: str, target: float, args) -> None:  # type: ignore[no-untyped-def]
    hierarchies: dict[str, Hierarchy] = {
        q: builtin_csv_hierarchy(dataset, q) for q in qis if q != "age"
    }
    hierarchies["age"] = age_hierarchy()
    before = risk_report(table, qis)
    print(
        f"\n{label}: {table.num_rows:,} rows, {len(qis)} QIs; before: "
        f"{before.share_unique:.1%} unique, max prosecutor risk {before.prosecutor_risk_max:.2f}"
    )
    for loss in ("loss_metric", "discernibility", "precision"):
        t0 = time.perf_counter()
        result = search_optimal(
            table, qis, hierarchies, args.k, max_suppression=args.suppression, loss=loss
        )  # type: ignore[arg-type]
        secs = time.perf_counter() - t0
        released = apply_generalisation(table, result, hierarchies)
        after = risk_report(released, qis)
        s = result.stats
        print(
            f"  loss={loss:<15} {secs:6.2f} s (target {target:.0f} s, ratio {secs / target:.2f}); "
            f"nodes checked {s.nodes_checked:,} of {s.lattice_size:,}"
        )
        print(f"    levels: {', '.join(f'{q}={result.level_names[q]}' for q in qis)}")
        print(
            f"    suppressed {len(result.suppressed_rows):,} rows; k on release = "
            f"{k_anonymity(released, qis)}; classes {result.classes:,}; "
            f"max risk {after.prosecutor_risk_max:.3f}, avg {after.prosecutor_risk_avg:.4f}"
        )
        print(
            "    information loss: "
            + ", ".join(f"{m} {v:.4f}" for m, v in result.information_loss.items())
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--suppression", type=float, default=0.01)
    args = ap.parse_args()
    adult_path, kdd_path = find(ADULT), find(KDD)
    if adult_path is None or kdd_path is None:
        sys.exit("data files missing: run `python bench/datasets.py --fetch` first")
    run("UCI Adult", load_adult(adult_path), ADULT_QIS, "adult", 5, args)
    run("KDD Census-Income (train)", load_kdd(kdd_path), KDD_QIS, "census_income", 60, args)


if __name__ == "__main__":
    main()
