"""Value builders for the assessment tests."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from citybase.assess.framework import DEFAULT_FRAMEWORK, Framework


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(Path(DEFAULT_FRAMEWORK).read_text(encoding="utf-8"))
    return data


def raw_default_framework() -> dict[str, Any]:
    """A fresh, mutable copy of the default framework YAML."""
    return copy.deepcopy(_raw())


def values_at(fw: Framework, fraction: float | dict[str, float]) -> dict[str, float]:
    """Raw values placing each indicator ``fraction`` of the way from worst to best.

    ``fraction`` may be one number, or a number per element (default 0.5).
    """
    out: dict[str, float] = {}
    for ind in fw.indicators:
        f = fraction if isinstance(fraction, float) else fraction.get(ind.element, 0.5)
        lo, hi = ind.goalposts.lower, ind.goalposts.upper
        value = lo + f * (hi - lo) if ind.direction == "higher" else hi - f * (hi - lo)
        if fw.units[ind.unit].boolean:
            value = 1.0 if f >= 0.5 else 0.0
        out[ind.id] = round(value, 9)
    return out


def random_values(fw: Framework, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    out: dict[str, float] = {}
    for ind in fw.indicators:
        lo, hi = ind.goalposts.lower, ind.goalposts.upper
        value = lo + rng.uniform(0.05, 0.95) * (hi - lo)
        out[ind.id] = float(round(value, 3)) if not fw.units[ind.unit].boolean else 1.0
    return out
