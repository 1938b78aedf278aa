"""TOPSIS ranking of peer cities, shown alongside the BTE scores.

Textbook TOPSIS (Hwang & Yoon 1981) on the raw indicator values: vector-normalise each
column r_ij = x_ij / √Σ_i x_ij², weight v_ij = w_j·r_ij, take the ideal best (max of v for
higher-is-better, min for lower-is-better) and ideal worst, Euclidean distances d⁺ and d⁻,
closeness C_i = d⁻ / (d⁺ + d⁻). Indicators missing for any compared city, or zero for all,
are left out — and listed — rather than imputed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from citybase.assess.framework import BoolArray, FloatArray


def topsis(
    values: FloatArray,
    weights: FloatArray,
    higher: BoolArray,
    *,
    labels: list[str],
    indicator_ids: tuple[str, ...],
) -> dict[str, Any]:
    complete = ~np.any(np.isnan(values), axis=0)
    norms = np.sqrt(np.nansum(values**2, axis=0))
    usable = complete & (norms > 0) & (weights > 0)
    dropped = [indicator_ids[j] for j in np.flatnonzero(~usable)]
    if not usable.any() or values.shape[0] < 2:
        return {
            "cities": [],
            "indicators_used": 0,
            "indicators_dropped": dropped,
            "note": "TOPSIS needs at least two cities and one indicator they all report.",
        }
    x = values[:, usable]
    w = weights[usable] / weights[usable].sum()
    up = higher[usable]
    v = w * x / norms[usable]
    best = np.where(up, v.max(axis=0), v.min(axis=0))
    worst = np.where(up, v.min(axis=0), v.max(axis=0))
    d_plus = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - worst) ** 2).sum(axis=1))
    total = d_plus + d_minus
    closeness = np.where(total > 0, d_minus / np.where(total > 0, total, 1.0), 0.5)
    order = np.argsort(-closeness, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(1, len(order) + 1)
    return {
        "cities": [
            {
                "city": labels[i],
                "closeness": round(float(closeness[i]), 6),
                "d_plus": round(float(d_plus[i]), 6),
                "d_minus": round(float(d_minus[i]), 6),
                "rank": int(ranks[i]),
            }
            for i in range(len(labels))
        ],
        "indicators_used": int(usable.sum()),
        "indicators_dropped": dropped,
    }
