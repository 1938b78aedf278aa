"""PII detection benchmark: column scan speed, and free text against Presidio (regex-only).

Column scan: the demo city's residents (default 1,000,000 rows) scanned whole, plus one
1,000,000-cell column per validated type (ID, mobile, bank card, USCC, plate), cells/s each.
Target: >= 1,000,000 cells/s per column; the whole resident table in a few seconds.

Free text: N synthetic 12345 complaint texts (default 100,000) built from the demo city's
residents (names, mobiles, addresses, ID numbers) and vehicles (plates) inside sentences in
the style of the event categories' examples, with known spans. Printed: throughput, the
ratio (target >= 20x), per-type recall and precision (exact span match). Presidio is
configured with its NoOpNlpEngine (no spaCy model is loaded or downloaded) and
PatternRecognizers only: its own EMAIL, IP and CREDIT_CARD recognizers plus Chinese types
written the obvious way.

How the ratio is measured, on a shared machine: both engines are warmed up on a few texts;
citybase runs over all N texts before and after Presidio and the mean of the two runs is
compared with Presidio's rate. Presidio is timed on the first ``--presidio-texts`` texts
(default 20,000; 0 = all): it analyses one text at a time, so its rate does not depend on
how many it gets, and timing all 100,000 only takes longer. citybase is also timed on that
same subset alone, and recall/precision of both are scored on it. Every timed run starts
with ``gc.collect()``, so that no run pays for a full collection of the garbage and results
the runs before it left behind (that cost up to 0.6 s, more than a 20,000-text run).

    .venv/bin/python bench/bench_pii.py [--rows 1000000] [--texts 100000] [--presidio-texts N]

Needs presidio-analyzer (bench extra). Takes a few minutes (mostly Presidio and the demo
city generator).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from citybase.demo.generate import generate_geography, generate_registries
from citybase.identifiers import PROVINCE_ABBREVIATIONS
from citybase.privacy.column_checks import luhn_array
from citybase.privacy.detect_columns import scan_table
from citybase.privacy.detect_text import find_spans_batch
from citybase.privacy.dictionaries import surnames

TAXONOMY = Path("/work/shared/taxonomy/event_categories.yaml")
FALLBACK_EXAMPLES = ["小区门口垃圾桶满了好几天没人清运，臭味很大", "楼上装修噪音很大，影响休息"]
Gold = list[tuple[int, int, str]]
Found = Sequence[Sequence[tuple[int, int, str]]]


def _tile(values: np.ndarray, n: int) -> pa.Array:
    return pa.array(np.resize(values, n).tolist(), pa.string())


def _bank_cards(rng: np.random.Generator, n: int) -> pa.Array:
    body = np.char.add("622848", rng.integers(10**11, 10**12, size=n).astype(str))
    bodies = np.char.add(body, "0")
    ok = luhn_array(bodies)
    # pick the check digit that makes each number pass: try all ten at once
    cards = bodies.copy()
    for digit in range(10):
        candidate = np.char.add(body, str(digit))
        fits = luhn_array(candidate) & ~ok
        cards = np.where(fits, candidate, cards)
        ok |= fits
    return pa.array(cards.tolist(), pa.string())


def bench_columns(rows: int, work: Path) -> dict[str, Path]:
    print(f"generating the demo city with {rows:,} residents …", flush=True)
    started = time.perf_counter()
    paths = generate_registries(
        2024, generate_geography(2024), work, residents=rows, enterprises=20_000, vehicles=40_000
    )
    print(f"  generated in {time.perf_counter() - started:.1f} s")
    residents = pq.read_table(paths["residents"])
    started = time.perf_counter()
    result = scan_table(residents)
    elapsed = time.perf_counter() - started
    cells = residents.num_rows * residents.num_columns
    print(
        f"\nwhole residents table: {residents.num_rows:,} rows x {residents.num_columns} columns "
        f"in {elapsed:.2f} s ({cells / elapsed:,.0f} cells/s), grade {result.grade.label}"
    )
    for col in result.columns:
        print(f"  {col.name:<16} {col.pii_type or '-':<15} conf {col.confidence:.2f}")
    started = time.perf_counter()
    from_file = scan_table(paths["residents"])
    print(f"same, read from Parquet through DuckDB: {time.perf_counter() - started:.2f} s")
    assert [c.pii_type for c in from_file.columns] == [c.pii_type for c in result.columns]

    n = 1_000_000
    rng = np.random.default_rng(7)
    orgs = pq.read_table(paths["enterprises"])
    cars = pq.read_table(paths["vehicles"])
    columns = {
        "CN_ID_CARD": _tile(residents["id_number"].to_numpy(), n),
        "CN_MOBILE": _tile(residents["mobile"].drop_null().to_numpy(), n),
        "BANK_CARD": _bank_cards(rng, n),
        "CN_USCC": _tile(orgs["uscc"].to_numpy(), n),
        "CN_PLATE": _tile(cars["plate"].to_numpy(), n),
    }
    print(
        f"\none column of {n:,} cells per validated type, 3 scans each, median (best); "
        "target >= 1,000,000 cells/s:"
    )
    for expected, values in columns.items():
        table = pa.table({"value": values})
        times = []
        for _ in range(3):
            gc.collect()
            started = time.perf_counter()
            col = scan_table(table).columns[0]
            times.append(time.perf_counter() - started)
        median, best = float(np.median(times)), min(times)
        print(
            f"  {expected:<11} -> {col.pii_type:<11} hit {col.hit_ratio:.3f}  {median:.3f} s  "
            f"{n / median:>12,.0f} cells/s ({n / best:,.0f})  {n / median / 1e6:.1f}x target"
        )
    return paths


# --- free text ---------------------------------------------------------------------------


def _examples() -> list[str]:
    if not TAXONOMY.exists():
        return FALLBACK_EXAMPLES
    raw = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))
    return [
        e for c in raw.get("categories", []) for e in c.get("examples", [])
    ] or FALLBACK_EXAMPLES


def make_complaints(paths: dict[str, Path], n: int, seed: int = 1) -> tuple[list[str], list[Gold]]:
    """Complaint texts with the exact spans of every piece of personal information put in."""
    rng = np.random.default_rng(seed)
    people = pq.read_table(paths["residents"], columns=["name", "mobile", "address", "id_number"])
    plates = pq.read_table(paths["vehicles"], columns=["plate"])["plate"].to_pylist()
    names = people["name"].to_pylist()
    mobiles = [m for m in people["mobile"].to_pylist() if m]
    addresses = people["address"].to_pylist()
    ids = people["id_number"].to_pylist()
    examples = _examples()
    openers = [
        "市民{N}来电反映：",
        "来电人{N}反映，",
        "{N}先生来电称，",
        "业主{N}投诉：",
        "我是{N}，",
    ]
    texts: list[str] = []
    gold: list[Gold] = []
    for _ in range(n):
        pieces: list[tuple[str, str | None]] = []
        opener = openers[int(rng.integers(len(openers)))]
        name = names[int(rng.integers(len(names)))]
        head, tail = opener.split("{N}")
        pieces += [(head, None), (name, "PERSON_NAME"), (tail, None)]
        if rng.random() < 0.8:
            pieces += [("家住", None), (addresses[int(rng.integers(len(addresses)))], "ADDRESS")]
            pieces += [("，", None)]
        pieces += [(examples[int(rng.integers(len(examples)))], None)]
        if rng.random() < 0.4:
            pieces += [("，车牌号", None), (plates[int(rng.integers(len(plates)))], "CN_PLATE")]
            pieces += [("的车辆长期停放", None)]
        if rng.random() < 0.9:
            pieces += [
                ("，联系电话", None),
                (mobiles[int(rng.integers(len(mobiles)))], "CN_MOBILE"),
            ]
        if rng.random() < 0.3:
            pieces += [("，身份证号", None), (ids[int(rng.integers(len(ids)))], "CN_ID_CARD")]
        if rng.random() < 0.2:  # a look-alike that must not be reported
            pieces += [("，工单号", None), (f"{int(rng.integers(10**17, 10**18))}", None)]
        pieces += [("。请尽快处理。", None)]
        text, spans = "", []
        for piece, kind in pieces:
            if kind is not None:
                spans.append((len(text), len(text) + len(piece), kind))
            text += piece
        texts.append(text)
        gold.append(spans)
    return texts, gold


def presidio_engine() -> Any:
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine.no_op_nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IpRecognizer,
    )

    family = "".join(sorted(surnames().single))
    obvious = {
        "CN_ID_CARD": r"(?<!\d)(?:\d{17}[\dXx]|\d{15})(?!\d)",
        "CN_MOBILE": r"(?<!\d)1[3-9]\d{9}(?!\d)",
        "CN_PLATE": f"[{PROVINCE_ABBREVIATIONS}][A-Z][A-Z0-9]{{5,6}}",
        "PERSON_NAME": f"[{family}][\\u4e00-\\u9fa5]{{1,2}}",
        "ADDRESS": r"[\u4e00-\u9fa5]{2,20}(?:路|街|巷|道)\d+号(?:\d+栋)?(?:\d+单元)?(?:\d+室)?",
    }
    registry = RecognizerRegistry(supported_languages=["zh"])
    for recognizer in (EmailRecognizer, IpRecognizer, CreditCardRecognizer):
        registry.add_recognizer(recognizer(supported_language="zh"))
    for entity, regex in obvious.items():
        registry.add_recognizer(
            PatternRecognizer(
                supported_entity=entity,
                patterns=[Pattern(entity.lower(), regex, 0.6)],
                supported_language="zh",
            )
        )
    nlp = NoOpNlpEngine(models=[{"lang_code": "zh", "model_name": "none"}])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["zh"])


def score(found: Found, gold: list[Gold], types: list[str]) -> dict[str, tuple[float, float]]:
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    for f, g in zip(found, gold, strict=True):
        truth = set(g)
        for span in f:
            predicted[span[2]] += 1
            tp[span[2]] += span in truth
        for span in g:
            actual[span[2]] += 1
    return {
        t: (tp[t] / actual[t] if actual[t] else 0.0, tp[t] / predicted[t] if predicted[t] else 0.0)
        for t in types
    }


def _ours(texts: list[str]) -> tuple[float, list[list[Any]]]:
    gc.collect()  # do not charge this run for the garbage of the runs before it
    started = time.perf_counter()
    found = find_spans_batch(texts)
    return time.perf_counter() - started, found


def bench_text(paths: dict[str, Path], n: int, presidio_n: int) -> None:
    texts, gold = make_complaints(paths, n)
    chars = sum(map(len, texts))
    print(f"\n{n:,} complaint texts, {chars / n:.0f} characters on average")
    engine = presidio_engine()
    find_spans_batch(texts[:100])  # both engines warm up (pattern compilation, tables)
    engine.analyze(text=texts[0], language="zh")

    first_s, ours = _ours(texts)
    print(f"citybase find_spans_batch, run 1: {first_s:.2f} s, {n / first_s:,.0f} texts/s")
    subset = texts[:presidio_n]
    gc.collect()
    started = time.perf_counter()
    theirs = [engine.analyze(text=t, language="zh") for t in subset]
    presidio_s = time.perf_counter() - started
    presidio_rate = len(subset) / presidio_s
    print(
        f"Presidio AnalyzerEngine (regex only): {len(subset):,} texts in {presidio_s:.2f} s, "
        f"{presidio_rate:,.0f} texts/s"
    )
    second_s, _ = _ours(texts)
    print(f"citybase find_spans_batch, run 2: {second_s:.2f} s, {n / second_s:,.0f} texts/s")
    ours_rate = 2 * n / (first_s + second_s)
    subset_s, _ = _ours(subset)
    print(
        f"citybase on Presidio's {len(subset):,} texts only: {subset_s:.2f} s, "
        f"{len(subset) / subset_s:,.0f} texts/s ({len(subset) / subset_s / presidio_rate:.1f}x)"
    )
    print(
        f"throughput ratio: {ours_rate / presidio_rate:.1f}x (citybase mean of runs 1-2 "
        f"{ours_rate:,.0f} texts/s over Presidio {presidio_rate:,.0f}; target >= 20x)"
    )
    ours_found = [[(s.start, s.end, s.type) for s in spans] for spans in ours]
    theirs_found = [[(r.start, r.end, r.entity_type) for r in rs] for rs in theirs]
    types = ["PERSON_NAME", "ADDRESS", "CN_MOBILE", "CN_ID_CARD", "CN_PLATE"]
    ours_score = score(ours_found[:presidio_n], gold[:presidio_n], types)
    theirs_score = score(theirs_found, gold[:presidio_n], types)
    print(f"\nper type on the same {len(subset):,} texts (exact span match):")
    print(
        f"  {'type':<12} {'citybase recall':>16} {'precision':>10} {'Presidio recall':>16} "
        f"{'precision':>10}"
    )
    for t in types:
        (r1, p1), (r2, p2) = ours_score[t], theirs_score[t]
        print(f"  {t:<12} {r1:>16.3f} {p1:>10.3f} {r2:>16.3f} {p2:>10.3f}")
    false_ids = sum(
        1
        for f, g in zip(theirs_found, gold[:presidio_n], strict=True)
        for s in f
        if s[2] == "CN_ID_CARD" and s not in set(g)
    )
    print(f"  Presidio ID-card false positives (order numbers etc.): {false_ids}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument(
        "--presidio-texts",
        type=int,
        default=20_000,
        help="Presidio is timed on the first N texts (default 20,000): it analyses one text "
        "at a time, so its rate does not depend on N; 0 means all",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = bench_columns(args.rows, Path(tmp))
        bench_text(paths, args.texts, min(args.presidio_texts or args.texts, args.texts))


if __name__ == "__main__":
    main()
