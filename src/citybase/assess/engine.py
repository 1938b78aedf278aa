"""The scoring pipeline, vectorised: normalise → elements → axes → BTE triangle and balance.

Every function broadcasts over leading dimensions, so the same code scores one city,
thirty peer cities, or thirty cities × ten thousand Monte-Carlo draws at once. Arrays are
shaped ``(..., cities, indicators)``; a missing value is NaN and stays NaN until the
element step, which counts it against the element's coverage instead of imputing it.

The method is documented step by step in docs/assess.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from citybase.assess.compiled import CompiledFramework
from citybase.assess.framework import BoolArray, FloatArray, IntArray

Aggregation = Literal["geometric", "arithmetic"]

#: An element needs at least this fraction of its indicators present (2/3), else it is missing.
MIN_COVERAGE_NUM, MIN_COVERAGE_DEN = 2, 3
#: Triangle area of the perfect city (1, 1, 1): ½·√3.
AREA_MAX = 0.5 * np.sqrt(3.0)


def normalise(
    values: FloatArray, lower: FloatArray, upper: FloatArray, higher: BoolArray
) -> FloatArray:
    """Step 1: s = clip((x − L)/(U − L), 0, 1); clip((U − x)/(U − L), 0, 1) if lower is better."""
    span = upper - lower
    rising = (values - lower) / span
    falling = (upper - values) / span
    return np.asarray(np.clip(np.where(higher, rising, falling), 0.0, 1.0), dtype=np.float64)


@dataclass(frozen=True)
class ElementAggregate:
    score: FloatArray  # (..., C, K), NaN where missing
    present: IntArray  # indicators with a value, per element
    total: IntArray  # indicators counted, per element (the domain's share in a domain view)


def aggregate_elements(
    scores: FloatArray,
    indicator_weights: FloatArray,
    element_starts: IntArray,
    member: BoolArray | None = None,
) -> ElementAggregate:
    """Step 2: weighted arithmetic mean per element over the indicators that are present.

    Weights are renormalised over the present indicators; an element with fewer than two
    thirds of its (member) indicators present, or none at all, is NaN — reported, not imputed.
    """
    n = scores.shape[-1]
    in_scope = np.ones(n, dtype=np.bool_) if member is None else member
    present = ~np.isnan(scores) & in_scope
    weights = np.broadcast_to(indicator_weights, scores.shape)
    num = np.add.reduceat(np.where(present, scores * weights, 0.0), element_starts, axis=-1)
    den = np.add.reduceat(np.where(present, weights, 0.0), element_starts, axis=-1)
    count = np.add.reduceat(present.astype(np.intp), element_starts, axis=-1)
    total = np.add.reduceat(in_scope.astype(np.intp), element_starts)
    enough = (count * MIN_COVERAGE_DEN >= total * MIN_COVERAGE_NUM) & (total > 0) & (den > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(enough, num / np.where(den > 0, den, 1.0), np.nan)
    return ElementAggregate(
        score=np.asarray(score, dtype=np.float64),
        present=count.astype(np.intp),
        total=np.broadcast_to(total, count.shape).astype(np.intp),
    )


def aggregate_axes(
    elements: FloatArray,
    element_weights: FloatArray,
    axis_starts: IntArray,
    method: Aggregation = "geometric",
) -> FloatArray:
    """Step 3: weighted geometric (default) or arithmetic mean of each axis's elements.

    A missing element makes its axis missing; a zero element makes a geometric axis zero.
    """
    weights = np.broadcast_to(element_weights, elements.shape)
    wsum = np.add.reduceat(weights, axis_starts, axis=-1)
    if method == "arithmetic":
        total = np.add.reduceat(weights * elements, axis_starts, axis=-1)
        return np.asarray(total / wsum, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(
            elements > 0, weights * np.log(np.where(elements > 0, elements, 1.0)), -np.inf
        )
    logs = np.where(np.isnan(elements), np.nan, logs)
    return np.asarray(np.exp(np.add.reduceat(logs, axis_starts, axis=-1) / wsum), dtype=np.float64)


@dataclass(frozen=True)
class Triangle:
    area: FloatArray  # A = ½·√(b²t² + t²e² + e²b²)
    index: FloatArray  # I = A / A(1,1,1) = √((b²t² + t²e² + e²b²)/3)
    sqrt_index: FloatArray  # √I
    geometric_mean: FloatArray  # (b·t·e)^(1/3)
    barrel_ratio: FloatArray  # min/max of b, t, e (NaN when all three are 0)


def triangle(axes: FloatArray) -> Triangle:
    """Step 4: the BTE triangle spanned by (b,0,0), (0,t,0), (0,0,e), and balance measures."""
    b, t, e = axes[..., 0], axes[..., 1], axes[..., 2]
    pairs = (b * t) ** 2 + (t * e) ** 2 + (e * b) ** 2
    area = 0.5 * np.sqrt(pairs)
    index = np.sqrt(pairs / 3.0)
    hi = np.max(axes, axis=-1)
    lo = np.min(axes, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(hi > 0, lo / np.where(hi > 0, hi, 1.0), np.nan)
    ratio = np.where(np.isnan(hi), np.nan, ratio)
    return Triangle(
        area=np.asarray(area, dtype=np.float64),
        index=np.asarray(index, dtype=np.float64),
        sqrt_index=np.asarray(np.sqrt(index), dtype=np.float64),
        geometric_mean=np.asarray(np.cbrt(b * t * e), dtype=np.float64),
        barrel_ratio=np.asarray(ratio, dtype=np.float64),
    )


@dataclass(frozen=True)
class Evaluation:
    indicators: FloatArray  # (..., C, N) normalised scores
    elements: ElementAggregate
    axes: FloatArray  # (..., C, 3)
    triangle: Triangle


def evaluate(
    cf: CompiledFramework,
    values: FloatArray,
    indicator_weights: FloatArray,
    element_weights: FloatArray,
    *,
    aggregation: Aggregation = "geometric",
    member: BoolArray | None = None,
    lower: FloatArray | None = None,
    upper: FloatArray | None = None,
) -> Evaluation:
    """Run steps 1–4 on ``values`` (..., C, N) in the compiled framework's indicator order."""
    scores = normalise(
        values,
        cf.lower if lower is None else lower,
        cf.upper if upper is None else upper,
        cf.higher,
    )
    elements = aggregate_elements(scores, indicator_weights, cf.element_starts, member)
    axes = aggregate_axes(elements.score, element_weights, cf.axis_starts, aggregation)
    return Evaluation(indicators=scores, elements=elements, axes=axes, triangle=triangle(axes))


def rank_descending(index: FloatArray) -> FloatArray:
    """Rank along the last axis, 1 = highest; ties share the better rank; NaN stays unranked."""
    better = (index[..., None, :] > index[..., :, None]).sum(axis=-1)
    return np.where(np.isnan(index), np.nan, better + 1.0).astype(np.float64)


def domain_member(cf: CompiledFramework, domain: str) -> BoolArray:
    return np.array([d == domain for d in cf.domain_of], dtype=np.bool_)
