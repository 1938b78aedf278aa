"""Benchmark one-stop services: instant decisions with evidence fetched from the registries,
the rule test suite, and e-certificate signing and verification.

    citybase demo --data-dir /tmp/city          # once: the 100,000-resident demo city
    PYTHONPATH=src python bench/bench_services.py --data-dir /tmp/city [--seconds 20]

Decisions: for residents drawn from the registry, the department's system account reads
the applicant's 户籍 record (gaj-residents, under 民政局's grant) and the allowance register
(mzj-elderly-allowance, its own), each read audited and recorded in the data tracker, then
the rules in force decide — what happens between "submit" and "approved" for 高龄津贴申领.
Each decision is its own transaction (committed, like a request), so the figures include
the audit and tracker writes. Targets: p95 < 50 ms, >= 200 decisions/s on one worker.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

import pyarrow.parquet as pq

from citybase.db import make_engine, make_session_factory
from citybase.services import certs, evidence, rules
from citybase.services.ruletests import library, run_tests
from citybase.settings import Settings


def bench_decisions(settings: Settings, seconds: float) -> dict[str, float]:
    lib = library(settings)
    item = lib.catalogue.get("MZJ-GLJT-01")
    ids = (
        pq.read_table(settings.data_dir / "registries" / "residents.parquet", columns=["id_number"])
        .column(0)
        .to_pylist()
    )
    factory = make_session_factory(make_engine(settings.effective_database_url))
    held = [m for m in item.materials if m.supply is not None]
    times: list[float] = []
    cpu_times: list[float] = []
    outcomes: dict[str, int] = {}
    started, cpu_started = time.perf_counter(), time.process_time()
    n = 0
    while time.perf_counter() - started < seconds:
        number = ids[(n * 7919) % len(ids)]
        n += 1
        t0, c0 = time.perf_counter(), time.process_time()
        with factory() as s:
            reader = evidence.service_account(s, item.department)
            pieces = [
                evidence.fetch_dataset(
                    s,
                    data_dir=settings.data_dir,
                    settings=settings,
                    reader=reader,
                    item=item,
                    material=m,
                    key=number,
                    purpose="bench: 免于提交核验",
                )
                for m in held
            ]
            for p in pieces:
                p.consent = "agreed"
            values = {**evidence.values_of(pieces), "bank_card": "6222020200112233445"}
            on = dt.date.today()
            out = rules.decide(
                lib.rulebook.require(item.code, on),
                on=on,
                values=values,
                sources=evidence.sources_of(pieces),
                item=item,
            )
            s.commit()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        outcomes[out.decision] = outcomes.get(out.decision, 0) + 1
    elapsed = time.perf_counter() - started
    times.sort()
    cpu_times.sort()
    return {
        "decisions": n,
        "per_second": n / elapsed,
        "per_cpu_second": n / (time.process_time() - cpu_started),
        "cpu_p95_ms": cpu_times[int(0.95 * (len(cpu_times) - 1))] * 1000,
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(0.95 * (len(times) - 1))] * 1000,
        **{f"outcome_{k}": float(v) for k, v in outcomes.items()},
    }


def bench_certificates(settings: Settings, seconds: float) -> tuple[float, float]:
    key = certs.signing_key(settings)
    trusted = {key.fingerprint}
    payload = {
        "id": "EC0",
        "item": "MZJ-GLJT-01",
        "title": "高龄津贴资格确认书",
        "holder": {"name": "王秀英", "id_masked": "110105********0021"},
        "claims": {"birth_date": "1940-03-05"},
        "valid_until": "2099-12-31",
    }
    n = 0
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        payload["id"] = f"EC{n}"
        assert certs.verify(certs.sign(payload, key), trusted=trusted).valid
        n += 1
    return n / (time.perf_counter() - started), n / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir, database_url=args.database_url)
    suite = run_tests(settings)
    print(
        f"rule test suite: {len(suite.results)} cases, {len(suite.failed)} failed, "
        f"{suite.seconds:.2f} s (target < 5 s)"
    )
    rate, cpu_rate = bench_certificates(settings, min(args.seconds, 5))
    print(
        f"certificate sign + verify: {rate:,.0f}/s wall, {cpu_rate:,.0f}/s per CPU second "
        "(target >= 2,000/s)"
    )
    d = bench_decisions(settings, args.seconds)
    print(
        f"instant decisions with evidence fetch ({settings.effective_database_url.split(':')[0]}): "
        f"{d['decisions']:.0f} in {args.seconds:.0f} s, {d['per_second']:.0f}/s (target >= 200), "
        f"p50 {d['p50_ms']:.1f} ms, p95 {d['p95_ms']:.1f} ms (target < 50 ms); per CPU: "
        f"{d['per_cpu_second']:.0f}/s, p95 {d['cpu_p95_ms']:.1f} ms; outcomes "
        + ", ".join(f"{k[8:]} {v:.0f}" for k, v in d.items() if k.startswith("outcome_"))
    )


if __name__ == "__main__":
    main()
