"""The classifier's answer for one text: a category code and its probability."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """One candidate category for a text, with the model's probability for it."""

    category: str
    confidence: float
