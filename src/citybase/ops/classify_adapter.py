"""The one place ops calls the classifier (``citybase.ops.classifier``, built separately).

``get_classifier(settings).classify(texts, top=3) -> list[list[Candidate]]`` with
``Candidate(category, confidence)``. When that package is not installed (or has no trained
model and raises ``LookupError``), the fallback is a small keyword scorer over the
taxonomy's ``keywords``: documented in docs/ops.md as what runs before a model is trained.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from citybase.ops.taxonomy import categories
from citybase.settings import Settings


@dataclass(frozen=True)
class Suggestion:
    category: str
    confidence: float


def keyword_scores(texts: Sequence[str], settings: Settings, top: int) -> list[list[Suggestion]]:
    """Each keyword found adds its length; confidence = score / (sum of scores + 1)."""
    cats = categories(settings)
    out: list[list[Suggestion]] = []
    for text in texts:
        scores = {
            code: float(sum(len(k) for k in cat.keywords if k and k in text))
            for code, cat in cats.items()
        }
        total = sum(scores.values()) + 1.0
        ranked = sorted((s for s in scores.items() if s[1] > 0), key=lambda s: (-s[1], s[0]))[:top]
        out.append([Suggestion(c, round(s / total, 4)) for c, s in ranked])
    return out


def _model(settings: Settings) -> Any | None:
    try:
        module = importlib.import_module("citybase.ops.classifier")
    except ImportError:
        return None
    try:
        return module.get_classifier(settings)
    except LookupError:
        return None


def classify(texts: Sequence[str], settings: Settings, top: int = 3) -> list[list[Suggestion]]:
    """Top ``top`` categories per text, best first (an empty list: no idea)."""
    model = _model(settings)
    if model is None:
        return keyword_scores(texts, settings, top)
    known = categories(settings)
    return [
        [Suggestion(str(c.category), float(c.confidence)) for c in row if c.category in known]
        for row in model.classify(list(texts), top=top)
    ]
