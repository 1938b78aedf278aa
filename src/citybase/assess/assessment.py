"""One assessment, end to end: values (entered and live) → scores, barrel, roadmap, peers.

The result is a plain JSON-able dict (schema ``citybase.assess/1``), the same for the CLI,
the API, the stored history and the report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np

from citybase.assess.barrel import barrel_view, phase_status
from citybase.assess.compiled import CompiledFramework, compile_framework
from citybase.assess.engine import Evaluation, aggregate_elements, domain_member, evaluate
from citybase.assess.framework import AXES, FloatArray, Framework, load_framework
from citybase.assess.inputs import (
    AssessmentRequest,
    CityValues,
    Problems,
    ValueProblem,
    ValueRecord,
    coerce_value,
    parse_city,
)
from citybase.assess.roadmap import Action, build_roadmap, load_actions
from citybase.assess.robustness import robustness
from citybase.assess.topsis import topsis
from citybase.assess.weights import Profile, WeightSet, resolve_weights
from citybase.errors import ValidationFailed
from citybase.hookspecs import LiveIndicator

SCHEMA = "citybase.assess/1"


def _r(x: float | np.floating[Any]) -> float | None:
    return None if np.isnan(x) else round(float(x), 6)


def merge_live(
    fw: Framework, city: CityValues, live: list[LiveIndicator], prefer: str
) -> tuple[CityValues, list[str]]:
    """Add live values to the entered ones, recording which is which (and every conflict)."""
    known = {ind.id: ind for ind in fw.indicators}
    records = dict(city.records)
    notes: list[str] = []
    taken: dict[str, str] = {}
    for item in live:
        ind = known.get(item.indicator_id)
        if ind is None:
            notes.append(
                f"live indicator '{item.indicator_id}' from {item.source} is not in framework "
                f"'{fw.id}'; ignored"
            )
            continue
        try:
            value, entered_as, _ = coerce_value(fw, ind, {"value": item.value, "unit": item.unit})
        except ValueProblem as exc:
            notes.append(f"live value for '{ind.id}' from {item.source} rejected: {exc}")
            continue
        if ind.id in taken:
            notes.append(
                f"'{ind.id}' is measured live by both {taken[ind.id]} and {item.source}; "
                f"the first is used"
            )
            continue
        taken[ind.id] = item.source
        live_record = ValueRecord(
            indicator=ind.id,
            value=value,
            unit=ind.unit,
            source="live",
            origin=item.source,
            entered_as=entered_as,
            note=item.note,
            measured_at=item.measured_at,
        )
        entered = records.get(ind.id)
        if entered is not None and entered.value is not None:
            if prefer == "entered":
                notes.append(
                    f"'{ind.id}': entered value {entered.value:g} kept; live value {value:g} "
                    f"({item.source}) not used"
                )
                continue
            notes.append(
                f"'{ind.id}': live value {value:g} ({item.source}) replaces the entered "
                f"{entered.value:g}"
            )
        records[ind.id] = live_record
    return replace(city, records=records), notes


def value_matrix(cf: CompiledFramework, cities: list[CityValues]) -> FloatArray:
    out = np.full((len(cities), cf.n_indicators), np.nan, dtype=np.float64)
    for c, city in enumerate(cities):
        for ind_id, rec in city.records.items():
            if rec.value is not None:
                out[c, cf.index(ind_id)] = rec.value
    return out


def _element_details(
    cf: CompiledFramework, ev: Evaluation, weights: WeightSet, values: FloatArray
) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for k, element in enumerate(cf.element_ids):
        members = np.flatnonzero(cf.element_of == k)
        present = int(ev.elements.present[0, k])
        total = int(ev.elements.total[0, k])
        details[element] = {
            "axis": AXES[int(cf.axis_of_element[k])],
            "score": _r(ev.elements.score[0, k]),
            "present": present,
            "total": total,
            "coverage": round(present / total, 6) if total else None,
            "weight_in_axis": round(float(weights.element[k]), 6),
            "missing_indicators": [cf.indicator_ids[j] for j in members if np.isnan(values[j])],
        }
    return details


def _city_summary(cf: CompiledFramework, ev: Evaluation, c: int) -> dict[str, Any]:
    tri = ev.triangle
    return {
        "axes": {a: _r(ev.axes[c, k]) for k, a in enumerate(AXES)},
        "triangle_area": _r(tri.area[c]),
        "index": _r(tri.index[c]),
        "sqrt_index": _r(tri.sqrt_index[c]),
        "balance": {
            "geometric_mean": _r(tri.geometric_mean[c]),
            "barrel_ratio": _r(tri.barrel_ratio[c]),
        },
        "elements": {e: _r(ev.elements.score[c, k]) for k, e in enumerate(cf.element_ids)},
    }


def _barrels(
    cf: CompiledFramework, ev: Evaluation, weights: WeightSet, values: FloatArray
) -> dict[str, Any]:
    scores = ev.indicators[0]
    overall = barrel_view(
        cf,
        view="overall",
        values=values,
        scores=scores,
        element_scores=ev.elements.score[0],
        present=ev.elements.present[0],
        totals=ev.elements.total[0],
        element_weights=weights.element,
    )
    domains: dict[str, Any] = {}
    for domain in cf.framework.domains:
        member = domain_member(cf, domain)
        if not member.any():
            continue
        agg = aggregate_elements(scores, weights.indicator, cf.element_starts, member)
        domains[domain] = barrel_view(
            cf,
            view=domain,
            values=values,
            scores=scores,
            element_scores=agg.score,
            present=agg.present,
            totals=agg.total,
            element_weights=weights.element,
            member=member,
        )
    return {"overall": overall, "domains": domains}


def _warnings(cf: CompiledFramework, summary: dict[str, Any], details: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for element, d in details.items():
        if d["score"] is None:
            out.append(
                f"element '{element}' is missing: {d['present']} of {d['total']} indicators have "
                f"values, fewer than two thirds (missing: {', '.join(d['missing_indicators'])})"
            )
        elif d["missing_indicators"]:
            out.append(
                f"element '{element}' is scored from {d['present']} of {d['total']} indicators "
                f"(weights renormalised over those present; missing: "
                f"{', '.join(d['missing_indicators'])})"
            )
    for axis, value in summary["axes"].items():
        if value is None:
            out.append(f"axis {axis} cannot be computed because one of its elements is missing")
    if summary["index"] is None:
        out.append("the BTE index is not computed: an axis is missing")
    return out


def assess(
    request: AssessmentRequest,
    *,
    framework: Framework | None = None,
    actions: list[Action] | None = None,
    profiles: dict[str, Profile] | None = None,
    live: list[LiveIndicator] | None = None,
) -> dict[str, Any]:
    """Score ``request``; raises ValidationFailed (listing every problem) on bad input."""
    spec = request.spec
    fw = framework or load_framework(request.path(spec.framework))
    cf = compile_framework(fw)
    problems = Problems(request.origin)
    city = parse_city(fw, request.city, problems)
    peers = [parse_city(fw, p, problems) for p in request.peers]
    for domain in spec.roadmap.domains or []:
        if domain not in fw.domains:
            problems.add("roadmap.domains", f"unknown domain '{domain}' ({', '.join(fw.domains)})")
    problems.raise_if_any()
    notes: list[str] = []
    if spec.live:
        if live is None:
            raise ValidationFailed(
                "This request asks for live indicators (live: true) but was run without the "
                "platform's database; run it through the platform or set live: false.",
                field="live",
            )
        city, notes = merge_live(fw, city, live, spec.prefer)
    cities = [city, *peers]
    matrix = value_matrix(cf, cities)
    peer_scores = evaluate(
        cf, matrix, cf.default_indicator_weights, cf.default_element_weights
    ).indicators
    weights = resolve_weights(
        cf, spec.weights, peer_scores=peer_scores if peers else None, profiles=profiles
    )
    ev = evaluate(cf, matrix, weights.indicator, weights.element, aggregation=spec.aggregation)
    values = matrix[0]
    summary = _city_summary(cf, ev, 0)
    details = _element_details(cf, ev, weights, values)
    barrels = _barrels(cf, ev, weights, values)
    status = phase_status(fw, ev.elements.score[0], ev.elements.total[0])
    global_w = cf.global_indicator_weights(weights.indicator, weights.element)
    roadmap = build_roadmap(
        cf,
        actions if actions is not None else load_actions(fw, request.path(spec.actions)),
        values=values,
        scores=ev.indicators[0],
        global_weights=global_w,
        status=status,
        domains=spec.roadmap.domains,
        max_per_phase=spec.roadmap.max_per_phase,
    )
    indicators: dict[str, Any] = {}
    for j, ind_id in enumerate(cf.indicator_ids):
        ind = fw.indicator(ind_id)
        rec = city.records.get(ind_id)
        base = rec.as_dict() if rec else {"value": None, "unit": ind.unit, "source": "missing"}
        if base["value"] is None:
            base["source"] = "missing"
        indicators[ind_id] = {
            **base,
            "score": _r(ev.indicators[0, j]),
            "element": ind.element,
            "domain": ind.domain,
            "weight_in_element": round(float(weights.indicator[j]), 6),
            "weight_in_index": round(float(global_w[j]), 6),
        }
    codes = [c.code for c in cities]
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "city": {"code": city.code, "name": city.name},
        "period": spec.period,
        "framework": {"id": fw.id, "version": fw.version, "indicators": cf.n_indicators},
        "method": {
            "normalisation": "linear between goalposts L and U, clipped to [0, 1]",
            "element": "weighted arithmetic mean of present indicators; missing below 2/3",
            "axis": f"weighted {spec.aggregation} mean of elements",
            "index": "I = sqrt((b²t² + t²e² + e²b²)/3) = triangle area / area of (1,1,1)",
        },
        "weights": weights.describe(cf),
        **summary,
        "element_details": details,
        "indicators": indicators,
        "sources": {
            s: sum(1 for v in indicators.values() if v["source"] == s)
            for s in ("entered", "live", "missing")
        },
        "phase": status.as_dict(fw),
        "barrel": barrels,
        "roadmap": roadmap,
        "robustness": (
            robustness(cf, matrix, weights, codes, spec.robustness) if spec.robustness else None
        ),
        "peers": _peers(cf, ev, cities, weights) if peers else None,
        "warnings": [*_warnings(cf, summary, details), *notes],
        "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return result


def _peers(
    cf: CompiledFramework, ev: Evaluation, cities: list[CityValues], weights: WeightSet
) -> dict[str, Any]:
    index = ev.triangle.index
    order = [c for c in np.argsort(-np.nan_to_num(index, nan=-1.0), kind="stable")]
    rank = {int(c): pos + 1 for pos, c in enumerate(order) if not np.isnan(index[c])}
    rows = [
        {"code": city.code, "name": city.name, "rank": rank.get(c), **_city_summary(cf, ev, c)}
        for c, city in enumerate(cities)
    ]
    global_w = cf.global_indicator_weights(weights.indicator, weights.element)
    matrix = value_matrix(cf, cities)
    return {
        "cities": rows,
        "topsis": topsis(
            matrix,
            global_w,
            cf.higher,
            labels=[c.code for c in cities],
            indicator_ids=cf.indicator_ids,
        ),
    }
