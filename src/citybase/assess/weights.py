"""Weights: equal, framework-declared, AHP (Saaty, with consistency ratio), entropy, profiles.

Indicator weights are relative within their element and element weights relative within
their axis; the three axes are never weighted against each other (the triangle treats them
symmetrically). Every method returns a :class:`WeightSet` with both vectors normalised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from citybase.assess.ahp import ahp, parse_pairwise
from citybase.assess.compiled import CompiledFramework, normalise_groups
from citybase.assess.framework import AXES, DATA_DIR, FloatArray, LocalText
from citybase.errors import ValidationFailed

ENTROPY_MIN_PEERS = 10

WeightMethod = Literal["equal", "framework", "ahp", "entropy", "profile"]


@dataclass(frozen=True)
class WeightSet:
    method: str
    indicator: FloatArray  # (N,), sums to 1 within each element
    element: FloatArray  # (K,), sums to 1 within each axis
    details: dict[str, Any] = field(default_factory=dict)

    def describe(self, cf: CompiledFramework) -> dict[str, Any]:
        return {
            "method": self.method,
            "elements": {
                e: round(float(w), 6) for e, w in zip(cf.element_ids, self.element, strict=True)
            },
            "indicators": {
                i: round(float(w), 6) for i, w in zip(cf.indicator_ids, self.indicator, strict=True)
            },
            **self.details,
        }


def equal_weights(cf: CompiledFramework) -> WeightSet:
    ones_i = np.ones(cf.n_indicators, dtype=np.float64)
    ones_e = np.ones(cf.n_elements, dtype=np.float64)
    return WeightSet(
        method="equal",
        indicator=normalise_groups(ones_i, cf.element_starts),
        element=normalise_groups(ones_e, cf.axis_starts),
    )


def framework_weights(cf: CompiledFramework) -> WeightSet:
    return WeightSet(
        method="framework",
        indicator=cf.default_indicator_weights.copy(),
        element=cf.default_element_weights.copy(),
    )


# --- AHP (the arithmetic is in citybase.assess.ahp) ------------------------------------------


class PairwiseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order: list[str] | None = None  # default: the framework's order
    matrix: list[list[Any]]


class AhpSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    elements: dict[str, PairwiseSpec] = Field(default_factory=dict)  # per axis: B, T, E
    indicators: dict[str, PairwiseSpec] = Field(default_factory=dict)  # per element


def _group_order(spec: PairwiseSpec, members: list[str], where: str) -> tuple[str, ...]:
    order = spec.order or members
    if sorted(order) != sorted(members):
        raise ValidationFailed(
            f"{where}.order must list exactly {', '.join(members)}; got {', '.join(order)}.",
            field=f"{where}.order",
        )
    return tuple(order)


def ahp_weights(cf: CompiledFramework, spec: AhpSpec, *, where: str = "weights.ahp") -> WeightSet:
    """Equal weights, replaced by AHP weights for every group that has a matrix."""
    base = equal_weights(cf)
    element_w = base.element.copy()
    indicator_w = base.indicator.copy()
    results: dict[str, Any] = {}
    for axis_id, pair in spec.elements.items():
        if axis_id not in AXES:
            raise ValidationFailed(
                f"{where}.elements: unknown axis '{axis_id}' (B, T or E).", field=where
            )
        members = list(cf.framework.axes[axis_id].elements)
        path = f"{where}.elements.{axis_id}"
        order = _group_order(pair, members, path)
        res = ahp(parse_pairwise(pair.matrix, order, path), order, where=path)
        for label, w in zip(order, res.weights, strict=True):
            element_w[cf.element_index(label)] = w
        results[f"elements.{axis_id}"] = res.as_dict()
    for element, pair in spec.indicators.items():
        if element not in cf.element_ids:
            raise ValidationFailed(f"{where}.indicators: unknown element '{element}'.", field=where)
        k = cf.element_index(element)
        members = [i for i, e in zip(cf.indicator_ids, cf.element_of, strict=True) if e == k]
        path = f"{where}.indicators.{element}"
        order = _group_order(pair, members, path)
        res = ahp(parse_pairwise(pair.matrix, order, path), order, where=path)
        for label, w in zip(order, res.weights, strict=True):
            indicator_w[cf.index(label)] = w
        results[f"indicators.{element}"] = res.as_dict()
    return WeightSet("ahp", indicator_w, element_w, {"ahp": results})


# --- entropy -----------------------------------------------------------------------------------


def entropy_weights(cf: CompiledFramework, peer_scores: FloatArray) -> WeightSet:
    """Entropy weights of indicators (within elements) from the peer set's normalised scores.

    ``peer_scores`` is (cities, N) of goalpost-normalised scores for the assessed city and its
    peers. Entropy weights say how much an indicator *differentiates this peer set*, so they
    are refused with fewer than ten peers; an indicator reported by fewer than ten cities
    gets the mean entropy weight of its element, and the result says so.
    """
    m = peer_scores.shape[0]
    if m - 1 < ENTROPY_MIN_PEERS:
        raise ValidationFailed(
            f"Entropy weights need at least {ENTROPY_MIN_PEERS} peer cities (they are relative "
            f"to the peer set); {m - 1} loaded. Load more peers or choose equal, AHP or a "
            "profile.",
            field="weights.method",
        )
    d = np.zeros(cf.n_indicators, dtype=np.float64)
    measured = np.ones(cf.n_indicators, dtype=np.bool_)
    for j in range(cf.n_indicators):
        col = peer_scores[:, j]
        col = col[~np.isnan(col)]
        if col.size < ENTROPY_MIN_PEERS:
            measured[j] = False
            continue
        total = col.sum()
        if total <= 0:
            continue  # every city scores 0: the indicator carries no information
        p = col / total
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        d[j] = 1.0 + plogp.sum() / math.log(col.size)
    notes: list[str] = []
    for k, element in enumerate(cf.element_ids):
        in_element = cf.element_of == k
        known = in_element & measured
        unknown = in_element & ~measured
        if unknown.any():
            fill = float(d[known].mean()) if known.any() else 1.0
            d[unknown] = fill
            names = ", ".join(cf.indicator_ids[j] for j in np.flatnonzero(unknown))
            notes.append(
                f"{names}: fewer than {ENTROPY_MIN_PEERS} cities report it, so its entropy "
                f"weight is set to the mean of the other indicators of '{element}'"
            )
        if d[in_element].sum() <= 1e-12:
            notes.append(f"{element}: no indicator differentiates the peers; equal weights used")
            d[in_element] = 1.0
    base = equal_weights(cf)
    return WeightSet(
        "entropy",
        normalise_groups(d, cf.element_starts),
        base.element,
        {"entropy": {"cities": m, "notes": notes}},
    )


# --- named profiles ------------------------------------------------------------------------------


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: LocalText
    source: str
    note: str = ""
    element_weights: dict[str, float]
    indicator_weights: dict[str, float] = Field(default_factory=dict)


@lru_cache(maxsize=4)
def load_profiles(path: Path | None = None) -> dict[str, Profile]:
    file = path or DATA_DIR / "profiles.yaml"
    raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    items = raw.get("profiles") if isinstance(raw, dict) else None
    if not isinstance(items, dict):
        raise ValidationFailed(f"{file}: expected a 'profiles' mapping.", field="profiles")
    out: dict[str, Profile] = {}
    for key, value in items.items():
        try:
            out[str(key)] = Profile.model_validate(value)
        except ValidationError as exc:
            raise ValidationFailed(f"{file}: profile '{key}': {exc}", field=str(key)) from None
    return out


def profile_weights(cf: CompiledFramework, name: str, profiles: dict[str, Profile]) -> WeightSet:
    if name not in profiles:
        raise ValidationFailed(
            f"Unknown weight profile '{name}'; available: {', '.join(sorted(profiles))}.",
            field="weights.profile",
        )
    prof = profiles[name]
    element_w = np.zeros(cf.n_elements, dtype=np.float64)
    for k, element in enumerate(cf.element_ids):
        w = prof.element_weights.get(element)
        if w is None or not w > 0:
            raise ValidationFailed(
                f"Profile '{name}' gives no positive weight for element '{element}'.",
                field="weights.profile",
            )
        element_w[k] = w
    indicator_w = np.ones(cf.n_indicators, dtype=np.float64)
    for ind_id, w in prof.indicator_weights.items():
        if not w > 0:
            raise ValidationFailed(
                f"Profile '{name}': weight of '{ind_id}' must be > 0.", field=ind_id
            )
        indicator_w[cf.index(ind_id)] = w
    return WeightSet(
        "profile",
        normalise_groups(indicator_w, cf.element_starts),
        normalise_groups(element_w, cf.axis_starts),
        {"profile": {"id": name, "name": prof.name.model_dump(), "source": prof.source}},
    )


class WeightSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: WeightMethod = "equal"
    profile: str | None = None
    ahp: AhpSpec | None = None


def resolve_weights(
    cf: CompiledFramework,
    spec: WeightSpec,
    *,
    peer_scores: FloatArray | None = None,
    profiles: dict[str, Profile] | None = None,
) -> WeightSet:
    if spec.method == "equal":
        return equal_weights(cf)
    if spec.method == "framework":
        return framework_weights(cf)
    if spec.method == "ahp":
        if spec.ahp is None:
            raise ValidationFailed(
                "weights.method is 'ahp' but no weights.ahp matrices are given.",
                field="weights.ahp",
            )
        return ahp_weights(cf, spec.ahp)
    if spec.method == "entropy":
        if peer_scores is None:
            raise ValidationFailed(
                "Entropy weights need peer cities; load at least ten.", field="weights.method"
            )
        return entropy_weights(cf, peer_scores)
    if not spec.profile:
        raise ValidationFailed(
            "weights.method is 'profile' but weights.profile is not set.",
            field="weights.profile",
        )
    return profile_weights(cf, spec.profile, profiles or load_profiles())
