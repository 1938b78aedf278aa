"""Benchmark: an assessment of 50 indicators x 30 cities with 10,000 Monte-Carlo draws.

The issue's budget is under 10 s. Run:

    PYTHONPATH=src python bench/bench_assess.py [--draws 10000] [--cities 30] [--repeat 3]

It times (1) the Monte-Carlo robustness alone and (2) a complete assessment — validation,
scores, barrels, roadmap, TOPSIS and the Monte-Carlo — of one city against 29 peers, on a
50-indicator framework (the shipped 49 plus one), and prints seconds and the budget ratio.
"""

from __future__ import annotations

import argparse
import copy
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import yaml

from citybase.assess.assessment import assess
from citybase.assess.compiled import compile_framework
from citybase.assess.framework import DEFAULT_FRAMEWORK, Framework, parse_framework
from citybase.assess.inputs import AssessmentSpec, request_from_spec
from citybase.assess.robustness import RobustnessSpec, robustness
from citybase.assess.weights import equal_weights

BUDGET_S = 10.0


def fifty_indicator_framework() -> Framework:
    raw = yaml.safe_load(Path(DEFAULT_FRAMEWORK).read_text(encoding="utf-8"))
    extra = copy.deepcopy(next(i for i in raw["indicators"] if i["id"] == "digital_partners"))
    extra["id"] = "bench_extra_partners"
    raw["indicators"].append(extra)
    fw = parse_framework(raw, origin="bench")
    assert len(fw.indicators) == 50
    return fw


def city_values(fw: Framework, rng: np.random.Generator) -> dict[str, float]:
    out = {}
    for ind in fw.indicators:
        lo, hi = ind.goalposts.lower, ind.goalposts.upper
        v = lo + rng.uniform(0.05, 0.95) * (hi - lo)
        out[ind.id] = 1.0 if fw.units[ind.unit].boolean else round(float(v), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--cities", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fw = fifty_indicator_framework()
    cf = compile_framework(fw)
    rng = np.random.default_rng(2021)
    cities = [city_values(fw, rng) for _ in range(args.cities)]
    matrix = np.array([[c[i] for i in cf.indicator_ids] for c in cities])
    codes = [f"C{k:02d}" for k in range(args.cities)]
    spec_mc = RobustnessSpec(draws=args.draws)

    mc_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        robustness(cf, matrix, equal_weights(cf), codes, spec_mc)
        mc_times.append(time.perf_counter() - t0)

    spec = AssessmentSpec.model_validate(
        {
            "city": {"code": codes[0]},
            "period": "2025",
            "values": cities[0],
            "peers": [{"code": c, "values": v} for c, v in zip(codes[1:], cities[1:], strict=True)],
            "robustness": {"draws": args.draws},
        }
    )
    full_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = assess(request_from_spec(spec, base_dir=None, origin="bench"), framework=fw)
        full_times.append(time.perf_counter() - t0)
    assert result["robustness"]["draws"] == args.draws

    cells = len(fw.indicators) * args.cities * args.draws
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"workload: {len(fw.indicators)} indicators x {args.cities} cities x {args.draws} draws")
    print(
        f"monte-carlo only : median {statistics.median(mc_times):.3f} s (runs: "
        + ", ".join(f"{t:.3f}" for t in mc_times)
        + ")"
    )
    print(
        f"full assessment  : median {statistics.median(full_times):.3f} s (runs: "
        + ", ".join(f"{t:.3f}" for t in full_times)
        + ")"
    )
    print(f"throughput       : {cells / statistics.median(mc_times) / 1e6:.1f} M indicator-draws/s")
    print(f"budget {BUDGET_S:.0f} s      : {statistics.median(full_times) / BUDGET_S:.1%} used")


if __name__ == "__main__":
    main()
