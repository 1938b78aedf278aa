"""Ops classifier: train time, model load time, classification throughput (batch and one by one).

Trains on the shipped history in a fresh data directory (wall and CPU seconds), loads the saved
model in a fresh cache, then classifies ``--n`` distinct texts (history texts, which jieba has
not seen in this process) in batches of ``--batch`` and one at a time. Prints the load average
first: the machine is shared, so CPU seconds are the steadier figure.

Usage: python bench/bench_classify.py [--n 5000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from citybase.ops import classifier
from citybase.ops.classifier.history import load_history
from citybase.settings import Settings


def _timed(fn):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        history = list(load_history())
        clf, wall, cpu = _timed(lambda: classifier.train(history, settings=settings))
        print(
            f"train: {len(history)} examples, {clf.info['features']} features: "
            f"{wall:.1f} s wall, {cpu:.1f} s CPU"
        )
        classifier.clear_cache()
        clf, wall, cpu = _timed(lambda: classifier.get_classifier(settings))
        print(f"load saved model (incl. jieba dictionary on first use): {wall:.2f} s wall")
        clf.classify(["预热"])  # jieba's dictionary loads on first use
        texts = random.Random(5).sample([t for t, _ in history], min(args.n, len(history)))
        texts = [t + "。" for t in texts]  # not byte-identical to anything seen so far

        def batches() -> None:
            for i in range(0, len(texts), args.batch):
                clf.classify(texts[i : i + args.batch])

        _, wall, cpu = _timed(batches)
        print(
            f"classify, batches of {args.batch}: {len(texts) / wall:,.0f} texts/s wall, "
            f"{len(texts) / cpu:,.0f} texts/s per CPU second"
        )
        single = texts[:1000]
        _, wall, cpu = _timed(lambda: [clf.classify([t]) for t in single])
        print(
            f"classify one text per call: {wall / len(single) * 1e3:.2f} ms wall, "
            f"{cpu / len(single) * 1e3:.2f} ms CPU per text"
        )


if __name__ == "__main__":
    main()
