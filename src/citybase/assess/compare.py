"""Comparing two evaluation cycles of a city: what moved, and why.

An element score is Σ e_i·s_i over its present indicators, with effective weights
e_i = w_i / Σ_present w_j; so the change of an element between two periods splits exactly
into per-indicator contributions e_i(b)·s_i(b) − e_i(a)·s_i(a). The report lists those,
the change of each axis and of the index, and every change of method (framework version,
weights, value source) that moves numbers without any change on the ground.
"""

from __future__ import annotations

from typing import Any


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(b - a, 6)


def _effective(result: dict[str, Any], element: str) -> dict[str, float]:
    members = {
        i: ind
        for i, ind in result["indicators"].items()
        if ind["element"] == element and ind["score"] is not None
    }
    total = sum(ind["weight_in_element"] for ind in members.values())
    if total <= 0:
        return {}
    return {i: ind["weight_in_element"] * ind["score"] / total for i, ind in members.items()}


def compare_results(
    base: dict[str, Any], target: dict[str, Any], *, top: int = 10
) -> dict[str, Any]:
    """Differences from ``base`` (earlier) to ``target`` (later), with their causes."""
    elements: dict[str, Any] = {}
    contributions: list[dict[str, Any]] = []
    for element in target["elements"]:
        a, b = base["elements"].get(element), target["elements"][element]
        before, after = _effective(base, element), _effective(target, element)
        parts = []
        for ind_id in sorted(set(before) | set(after)):
            part = {
                "indicator": ind_id,
                "element": element,
                "contribution": round(after.get(ind_id, 0.0) - before.get(ind_id, 0.0), 6),
                "value_before": base["indicators"].get(ind_id, {}).get("value"),
                "value_after": target["indicators"].get(ind_id, {}).get("value"),
                "source_before": base["indicators"].get(ind_id, {}).get("source", "missing"),
                "source_after": target["indicators"].get(ind_id, {}).get("source", "missing"),
                "unit": target["indicators"].get(ind_id, {}).get("unit"),
            }
            parts.append(part)
        elements[element] = {
            "before": a,
            "after": b,
            "delta": _delta(a, b),
            "contributions": {p["indicator"]: p["contribution"] for p in parts},
        }
        contributions.extend(parts)
    contributions.sort(key=lambda p: (-abs(p["contribution"]), p["indicator"]))
    method_changes = _method_changes(base, target)
    return {
        "city": target["city"],
        "base_period": base["period"],
        "target_period": target["period"],
        "index": {
            "before": base["index"],
            "after": target["index"],
            "delta": _delta(base["index"], target["index"]),
        },
        "triangle_area": {
            "before": base["triangle_area"],
            "after": target["triangle_area"],
            "delta": _delta(base["triangle_area"], target["triangle_area"]),
        },
        "axes": {
            a: {
                "before": base["axes"][a],
                "after": target["axes"][a],
                "delta": _delta(base["axes"][a], target["axes"][a]),
            }
            for a in target["axes"]
        },
        "balance": {
            k: {
                "before": base["balance"][k],
                "after": target["balance"][k],
                "delta": _delta(base["balance"][k], target["balance"][k]),
            }
            for k in target["balance"]
        },
        "elements": elements,
        "movers": [p for p in contributions if p["contribution"] != 0][:top],
        "source_changes": [
            p["indicator"] for p in contributions if p["source_before"] != p["source_after"]
        ],
        "phase": {"before": base["phase"]["current"], "after": target["phase"]["current"]},
        "method_changes": method_changes,
    }


def _method_changes(base: dict[str, Any], target: dict[str, Any]) -> list[str]:
    out: list[str] = []
    fa, fb = base["framework"], target["framework"]
    if (fa["id"], fa["version"]) != (fb["id"], fb["version"]):
        out.append(
            f"framework changed from {fa['id']} {fa['version']} to {fb['id']} {fb['version']}"
        )
    if base["weights"]["method"] != target["weights"]["method"]:
        out.append(
            f"weights changed from {base['weights']['method']} to {target['weights']['method']}"
        )
    elif base["weights"].get("elements") != target["weights"].get("elements"):
        out.append("element weights differ between the two periods")
    if base["method"]["axis"] != target["method"]["axis"]:
        out.append(
            f"axis aggregation changed: {base['method']['axis']} → {target['method']['axis']}"
        )
    return out
