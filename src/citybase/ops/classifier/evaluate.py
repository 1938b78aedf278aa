"""Quality figures: top-1/top-3 accuracy overall and per category, and calibration.

``split_by_core`` trains on the history composed from some hand-written cores and measures on
texts composed from the *other* cores, so no test text shares its description of the problem
with a training text (the framing — places, openers, asks — is shared by design: it is
category-neutral). ``python -m citybase.ops.classifier.evaluate [heldout.jsonl]`` prints both.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from citybase.ops.classifier.candidate import Candidate


@dataclass
class Report:
    n: int = 0
    top1: int = 0
    top3: int = 0
    per_category: dict[str, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0, 0])
    )
    confusions: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    #: (confidence of the first candidate, was it right) for every text
    confidences: list[tuple[float, bool]] = field(default_factory=list)

    def add(self, truth: str, candidates: Sequence[Candidate]) -> None:
        codes = [c.category for c in candidates]
        self.n += 1
        row = self.per_category[truth]
        row[0] += 1
        if codes[:1] == [truth]:
            self.top1 += 1
            row[1] += 1
        else:
            self.confusions[(truth, codes[0])] += 1
        if truth in codes[:3]:
            self.top3 += 1
            row[2] += 1
        self.confidences.append((candidates[0].confidence, codes[0] == truth))

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.n if self.n else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.n if self.n else 0.0

    def calibration(self, edges: Sequence[float] = (0.0, 0.5, 0.7, 0.8, 0.9, 1.01)) -> list[str]:
        lines = []
        for lo, hi in pairwise(edges):
            hits = [ok for conf, ok in self.confidences if lo <= conf < hi]
            if hits:
                lines.append(
                    f"confidence {lo:.1f}–{min(hi, 1.0):.1f}: {len(hits)} texts, "
                    f"{sum(hits) / len(hits):.2f} correct"
                )
        return lines

    def render(self, title: str) -> str:
        out = [
            f"## {title}",
            f"texts {self.n}  top-1 {self.top1_rate:.3f}  top-3 {self.top3_rate:.3f}",
        ]
        out.append("| category | n | top-1 | top-3 |")
        out.append("|---|---|---|---|")
        for code, (n, t1, t3) in sorted(self.per_category.items()):
            out.append(f"| {code} | {n} | {t1 / n:.2f} | {t3 / n:.2f} |")
        worst = sorted(self.confusions.items(), key=lambda kv: -kv[1])[:12]
        out.append(
            "most frequent confusions (truth → predicted: count): "
            + ", ".join(f"{a}→{b}: {k}" for (a, b), k in worst)
        )
        out.extend(self.calibration())
        return "\n".join(out)


def score(clf: object, texts: Sequence[str], truths: Sequence[str]) -> Report:
    from citybase.ops.classifier.model import Classifier

    assert isinstance(clf, Classifier)
    report = Report()
    for truth, cands in zip(truths, clf.classify(texts, top=3), strict=True):
        report.add(truth, cands)
    return report


def split_by_core(folds: int = 5, *, only: Sequence[int] | None = None) -> Report:
    """k-fold cross-validation where a fold is every k-th hand-written core of each category."""
    from citybase.ops.classifier.features import Tokenizer
    from citybase.ops.classifier.history import shipped_cases
    from citybase.ops.classifier.model import fit
    from citybase.ops.classifier.taxonomy import default_categories_path, load_categories
    from citybase.settings import get_settings

    categories = load_categories(default_categories_path(get_settings()))
    tokenizer = Tokenizer(w for c in categories for w in c.keywords)
    cases = shipped_cases()
    report = Report()
    for fold in only if only is not None else range(folds):
        train = [(c.text, c.category) for c in cases if c.core % folds != fold]
        test = [c for c in cases if c.core % folds == fold]
        clf = fit(train, categories, tokenizer)
        part = score(clf, [c.text for c in test], [c.category for c in test])
        report.n += part.n
        report.top1 += part.top1
        report.top3 += part.top3
        report.confidences += part.confidences
        for code, row in part.per_category.items():
            mine = report.per_category[code]
            for i in range(3):
                mine[i] += row[i]
        for pair, k in part.confusions.items():
            report.confusions[pair] += k
    return report


def heldout(path: Path) -> Report:
    from citybase.ops.classifier import get_classifier
    from citybase.ops.classifier.history import read_jsonl
    from citybase.settings import get_settings

    rows = list(read_jsonl(path, require_category=True))
    clf = get_classifier(get_settings())
    return score(clf, [t for t, _ in rows], [c for _, c in rows])


def main(argv: Sequence[str]) -> None:
    print(split_by_core().render("split by hand-written core (5 folds)"))
    for arg in argv:
        print()
        print(heldout(Path(arg)).render(f"held-out file {arg}"))


if __name__ == "__main__":
    main(sys.argv[1:])
