"""The barrel effect (木桶效应): rank staves by weight × (1 − score), name the shortest.

A stave is an element. Its weight is its share in the model — its weight within its axis
divided by three, since the triangle treats the three axes alike — so the shortfall
weight × (1 − score) says how much index the element holds back. The city's phase is set by
the shortest stave: a phase is reached when every scored element meets its threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from citybase.assess.compiled import CompiledFramework
from citybase.assess.framework import AXES, FloatArray, Indicator, IntArray
from citybase.assess.framework import Framework as FrameworkModel


def phase_target_value(ind: Indicator, phase_id: str, threshold: float) -> float:
    """The raw value an indicator needs for ``phase_id``: its own target, else L + τ(U − L)."""
    explicit = ind.goalposts.phase_targets.get(phase_id)
    if explicit is not None:
        return explicit
    lo, hi = ind.goalposts.lower, ind.goalposts.upper
    if ind.direction == "higher":
        return lo + threshold * (hi - lo)
    return hi - threshold * (hi - lo)


def score_of(ind: Indicator, value: float) -> float:
    lo, hi = ind.goalposts.lower, ind.goalposts.upper
    raw = (value - lo) / (hi - lo) if ind.direction == "higher" else (hi - value) / (hi - lo)
    return float(min(1.0, max(0.0, raw)))


def _num(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 6)


@dataclass(frozen=True)
class PhaseStatus:
    current: str | None  # last phase whose threshold every scored element meets
    next: str | None  # the phase to work towards (None: all reached)
    provisional: bool  # some element is missing, so the phase rests on partial evidence

    def as_dict(self, fw: FrameworkModel) -> dict[str, Any]:
        nxt = fw.phase(self.next) if self.next else None
        return {
            "current": self.current,
            "next": self.next,
            "next_threshold": nxt.threshold if nxt else None,
            "provisional": self.provisional,
        }


def phase_status(fw: FrameworkModel, element_scores: FloatArray, totals: IntArray) -> PhaseStatus:
    covered = totals > 0
    scored = element_scores[covered & ~np.isnan(element_scores)]
    provisional = bool(np.any(covered & np.isnan(element_scores)))
    current: str | None = None
    nxt: str | None = None
    if scored.size == 0:
        return PhaseStatus(None, fw.phases[0].id, True)
    floor = float(scored.min())
    for phase in fw.phases:
        if floor >= phase.threshold:
            current = phase.id
        else:
            nxt = phase.id
            break
    return PhaseStatus(current, nxt, provisional)


def barrel_view(
    cf: CompiledFramework,
    *,
    view: str,
    values: FloatArray,
    scores: FloatArray,
    element_scores: FloatArray,
    present: IntArray,
    totals: IntArray,
    element_weights: FloatArray,
    member: np.ndarray[Any, np.dtype[np.bool_]] | None = None,
    top: int = 3,
) -> dict[str, Any]:
    """One barrel (overall, the common '1', or one of the N domains) for one city."""
    fw = cf.framework
    weight = element_weights / len(AXES)
    staves: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    not_covered: list[str] = []
    for k, element in enumerate(cf.element_ids):
        if totals[k] == 0:
            not_covered.append(element)
            continue
        entry = {
            "element": element,
            "axis": AXES[int(cf.axis_of_element[k])],
            "weight": round(float(weight[k]), 6),
            "present": int(present[k]),
            "total": int(totals[k]),
        }
        if np.isnan(element_scores[k]):
            missing.append(entry)
            continue
        score = float(element_scores[k])
        staves.append({**entry, "score": round(score, 6), "shortfall": weight[k] * (1 - score)})
    staves.sort(key=lambda s: (-s["shortfall"], s["element"]))
    for rank, stave in enumerate(staves, start=1):
        stave["rank"] = rank
        stave["shortfall"] = round(float(stave["shortfall"]), 6)
    status = phase_status(fw, element_scores, totals)
    shortest = staves[:top]
    gaps = _gaps(cf, status, shortest, values, scores, member) if status.next else []
    return {
        "view": view,
        "staves": staves,
        "shortest": [s["element"] for s in shortest],
        "missing": missing,
        "not_covered": not_covered,
        "phase": status.as_dict(fw),
        "gaps": gaps,
    }


def _gaps(
    cf: CompiledFramework,
    status: PhaseStatus,
    shortest: list[dict[str, Any]],
    values: FloatArray,
    scores: FloatArray,
    member: np.ndarray[Any, np.dtype[np.bool_]] | None,
) -> list[dict[str, Any]]:
    fw = cf.framework
    assert status.next is not None
    phase = fw.phase(status.next)
    out: list[dict[str, Any]] = []
    for stave in shortest:
        k = cf.element_index(stave["element"])
        indicators: list[dict[str, Any]] = []
        for j in np.flatnonzero(cf.element_of == k):
            if member is not None and not member[j]:
                continue
            ind = fw.indicator(cf.indicator_ids[j])
            target = phase_target_value(ind, phase.id, phase.threshold)
            target_score = score_of(ind, target)
            current = _num(values[j])
            if current is not None and scores[j] >= target_score - 1e-12:
                continue
            gap = None if current is None else target - current
            indicators.append(
                {
                    "id": ind.id,
                    "unit": ind.unit,
                    "value": current,
                    "score": _num(scores[j]),
                    "target_value": round(target, 6),
                    "target_score": round(target_score, 6),
                    "gap": None if gap is None else round(gap, 6),
                }
            )
        out.append(
            {
                "element": stave["element"],
                "score": stave["score"],
                "target_score": phase.threshold,
                "score_gap": round(max(0.0, phase.threshold - stave["score"]), 6),
                "indicators": indicators,
            }
        )
    return out
