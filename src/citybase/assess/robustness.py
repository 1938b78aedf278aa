"""Robustness: Monte-Carlo over goalposts, weights and aggregation → score and rank intervals.

Each draw (i) moves every goalpost L and U independently by up to ±``goalpost_jitter`` of
the goalpost span (U − L), uniformly; (ii) draws indicator weights within each element and
element weights within each axis from a Dirichlet centred on the chosen weights with
concentration ``concentration`` (larger = closer to the chosen weights); (iii) aggregates
axes geometrically or arithmetically with equal probability. Draws are processed in chunks
so memory stays bounded; everything else is vectorised over draws × cities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from citybase.assess.compiled import CompiledFramework
from citybase.assess.engine import (
    aggregate_axes,
    aggregate_elements,
    normalise,
    rank_descending,
    triangle,
)
from citybase.assess.framework import AXES, BoolArray, FloatArray, IntArray
from citybase.assess.weights import WeightSet


class RobustnessSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    draws: int = Field(10_000, ge=100, le=200_000)
    goalpost_jitter: float = Field(0.10, ge=0, le=0.45)
    concentration: float = Field(100.0, gt=0)
    arithmetic_share: float = Field(0.5, ge=0, le=1)
    seed: int = 20210
    chunk: int = Field(1_000, ge=10, le=20_000)


def dirichlet_groups(
    rng: np.random.Generator, centre: FloatArray, starts: IntArray, draws: int, concentration: float
) -> FloatArray:
    """Dirichlet(concentration·centre) independently within each contiguous group; (draws, n)."""
    shape = np.broadcast_to(centre * concentration, (draws, centre.size))
    gamma = rng.gamma(shape)
    sums = np.add.reduceat(gamma, starts, axis=-1)
    counts = np.diff(np.append(starts, centre.size))
    return np.asarray(gamma / np.repeat(sums, counts, axis=-1), dtype=np.float64)


@dataclass(frozen=True)
class RobustnessDraws:
    index: FloatArray  # (D, C)
    rank: FloatArray  # (D, C)
    axes: FloatArray  # (D, C, 3)
    geometric: BoolArray  # (D,) True where the draw aggregated axes geometrically


def simulate(
    cf: CompiledFramework, values: FloatArray, weights: WeightSet, spec: RobustnessSpec
) -> RobustnessDraws:
    """All draws for ``values`` (C, N); see the module docstring for what is perturbed."""
    rng = np.random.default_rng(spec.seed)
    span = cf.upper - cf.lower
    n = cf.n_indicators
    out_index, out_rank, out_axes, out_geo = [], [], [], []
    done = 0
    while done < spec.draws:
        d = min(spec.chunk, spec.draws - done)
        lower = cf.lower + rng.uniform(-spec.goalpost_jitter, spec.goalpost_jitter, (d, n)) * span
        upper = cf.upper + rng.uniform(-spec.goalpost_jitter, spec.goalpost_jitter, (d, n)) * span
        iw = dirichlet_groups(rng, weights.indicator, cf.element_starts, d, spec.concentration)
        ew = dirichlet_groups(rng, weights.element, cf.axis_starts, d, spec.concentration)
        geometric = rng.random(d) >= spec.arithmetic_share
        scores = normalise(values[None, :, :], lower[:, None, :], upper[:, None, :], cf.higher)
        elements = aggregate_elements(scores, iw[:, None, :], cf.element_starts)
        geo = aggregate_axes(elements.score, ew[:, None, :], cf.axis_starts, "geometric")
        ari = aggregate_axes(elements.score, ew[:, None, :], cf.axis_starts, "arithmetic")
        axes = np.where(geometric[:, None, None], geo, ari)
        index = triangle(axes).index
        out_index.append(index)
        out_rank.append(rank_descending(index))
        out_axes.append(axes)
        out_geo.append(geometric)
        done += d
    return RobustnessDraws(
        index=np.concatenate(out_index),
        rank=np.concatenate(out_rank),
        axes=np.concatenate(out_axes),
        geometric=np.concatenate(out_geo),
    )


def _interval(samples: FloatArray, digits: int = 4) -> dict[str, float | None]:
    clean = samples[~np.isnan(samples)]
    if clean.size == 0:
        return {"p5": None, "p50": None, "p95": None, "mean": None}
    p5, p50, p95 = np.percentile(clean, [5, 50, 95])
    return {
        "p5": round(float(p5), digits),
        "p50": round(float(p50), digits),
        "p95": round(float(p95), digits),
        "mean": round(float(clean.mean()), digits),
    }


def summarise(
    draws: RobustnessDraws, city_codes: list[str], spec: RobustnessSpec
) -> dict[str, Any]:
    cities: dict[str, Any] = {}
    for c, code in enumerate(city_codes):
        rank = draws.rank[:, c]
        ranked = rank[~np.isnan(rank)]
        cities[code] = {
            "index": _interval(draws.index[:, c]),
            "rank": {
                **_interval(rank, 2),
                "best": int(ranked.min()) if ranked.size else None,
                "worst": int(ranked.max()) if ranked.size else None,
            },
            "axes": {a: _interval(draws.axes[:, c, k]) for k, a in enumerate(AXES)},
        }
    return {
        "draws": int(draws.index.shape[0]),
        "goalpost_jitter": spec.goalpost_jitter,
        "dirichlet_concentration": spec.concentration,
        "geometric_share": round(float(np.mean(draws.geometric)), 4),
        "seed": spec.seed,
        "cities": cities,
    }


def robustness(
    cf: CompiledFramework,
    values: FloatArray,
    weights: WeightSet,
    city_codes: list[str],
    spec: RobustnessSpec | None = None,
) -> dict[str, Any]:
    spec = spec or RobustnessSpec()
    return summarise(simulate(cf, values, weights, spec), city_codes, spec)
