"""The quality figure: one computation and one way of writing it, for every page, API and CLI.

A report's score is the mean of its rules' scores (each rule: the passing share of the rows
it checked; 1.0 for a report without rules). It is written with one decimal, truncated —
never rounded up — so a dataset with a failing rule never reads "100 %": 0.9996 is
"99.9 %", not "100.0 %". ``quality_text(None)`` is "—" (never checked).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from citybase.datahub.types import RuleResult


def report_score(results: Iterable[RuleResult]) -> float:
    """The score of a quality report: the mean of its rules' scores (1.0 without rules)."""
    scores = [r.score for r in results]
    return round(sum(scores) / len(scores), 6) if scores else 1.0


def quality_percent(score: float) -> float:
    """``score`` as a percentage with one decimal, truncated (0.9996 → 99.9)."""
    # the small epsilon keeps 0.997 (stored as 0.99699999…) at 99.7
    return math.floor(score * 1000 + 1e-6) / 10


def quality_text(score: float | None) -> str:
    """The figure as people read it: "99.7 %" (or "—" when never checked)."""
    if score is None:
        return "—"
    return f"{quality_percent(score):.1f} %"
