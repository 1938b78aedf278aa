"""An assessment end to end: the JSON contract and honest handling of missing data."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pytest

from citybase.assess.assessment import assess
from citybase.assess.framework import Framework
from citybase.assess.inputs import AssessmentSpec, request_from_spec
from citybase.errors import ValidationFailed
from tests.assess.builders import random_values, values_at


def _run(fw: Framework, values: Mapping[str, object], **extra: object) -> dict[str, Any]:
    spec = AssessmentSpec.model_validate(
        {"city": {"code": "demo", "name": "示范市"}, "period": "2025", "values": values, **extra}
    )
    return assess(request_from_spec(spec, base_dir=None, origin="test"), framework=fw)


def test_json_contract(fw: Framework) -> None:
    result = _run(fw, random_values(fw, 5), robustness={"draws": 300})
    for key in ("axes", "triangle_area", "index", "elements", "barrel", "roadmap"):
        assert key in result
    assert set(result["axes"]) == {"B", "T", "E"}
    assert set(result["elements"]) == set(fw.elements)
    assert json.loads(json.dumps(result)) == result  # plain JSON, no numpy leftovers
    b, t, e = (result["axes"][a] for a in "BTE")
    pairs = (b * t) ** 2 + (t * e) ** 2 + (e * b) ** 2
    assert result["triangle_area"] == pytest.approx(0.5 * math.sqrt(pairs), abs=1e-5)
    assert result["index"] == pytest.approx(math.sqrt(pairs / 3), abs=1e-5)
    assert result["balance"]["geometric_mean"] == pytest.approx((b * t * e) ** (1 / 3), abs=1e-5)
    assert result["sources"] == {"entered": len(fw.indicators), "live": 0, "missing": 0}
    assert result["robustness"]["draws"] == 300
    assert result["peers"] is None and result["warnings"] == []


def test_recompute_by_hand_from_the_json(fw: Framework) -> None:
    """Everything in the result can be recomputed from its own indicator scores and weights."""
    result = _run(fw, random_values(fw, 6), robustness=None)
    inds = result["indicators"]
    for element, detail in result["element_details"].items():
        members = [i for i in inds.values() if i["element"] == element]
        total_w = sum(i["weight_in_element"] for i in members)
        mean = sum(i["weight_in_element"] * i["score"] for i in members) / total_w
        assert detail["score"] == pytest.approx(mean, abs=1e-5)
    for axis in "BTE":
        parts = [
            (d["weight_in_axis"], d["score"])
            for d in result["element_details"].values()
            if d["axis"] == axis
        ]
        geo = math.exp(sum(w * math.log(s) for w, s in parts) / sum(w for w, _ in parts))
        assert result["axes"][axis] == pytest.approx(geo, abs=1e-5)
    for ind_id, ind in inds.items():
        spec = fw.indicator(ind_id)
        lo, hi = spec.goalposts.lower, spec.goalposts.upper
        raw = (
            (ind["value"] - lo) / (hi - lo)
            if spec.direction == "higher"
            else (hi - ind["value"]) / (hi - lo)
        )
        assert ind["score"] == pytest.approx(min(1, max(0, raw)), abs=1e-6)


def test_missing_element_is_null_not_imputed(fw: Framework) -> None:
    values: dict[str, object] = dict(values_at(fw, 0.6))
    culture = [i.id for i in fw.indicators if i.element == "culture"]
    for ind_id in culture[:2]:
        values[ind_id] = None  # 3 of 5 left: below two thirds
    values.pop(next(i.id for i in fw.indicators if i.element == "data"))  # 5 of 6: still scored
    result = _run(fw, values, robustness=None)
    assert result["elements"]["culture"] is None
    assert result["axes"]["E"] is None and result["index"] is None
    assert result["triangle_area"] is None and result["balance"]["barrel_ratio"] is None
    assert result["elements"]["data"] is not None
    assert result["sources"]["missing"] == 3
    warnings = " | ".join(result["warnings"])
    assert "element 'culture' is missing: 3 of 5 indicators" in warnings
    assert "element 'data' is scored from 5 of 6 indicators" in warnings
    assert "axis E cannot be computed" in warnings
    assert result["phase"]["provisional"] is True
    assert {m["element"] for m in result["barrel"]["overall"]["missing"]} == {"culture"}
    assert set(result["roadmap"]["measure_first"]) >= set(culture[:2])


def test_peers_topsis_and_entropy(fw: Framework) -> None:
    peers = [
        {"code": f"P{i:02d}", "name": f"同类{i}", "values": random_values(fw, 100 + i)}
        for i in range(10)
    ]
    result = _run(
        fw,
        random_values(fw, 7),
        peers=peers,
        weights={"method": "entropy"},
        robustness={"draws": 400},
    )
    assert result["weights"]["method"] == "entropy"
    cities = result["peers"]["cities"]
    assert len(cities) == 11
    ranks = sorted(c["rank"] for c in cities)
    assert ranks == list(range(1, 12))
    by_rank = sorted(cities, key=lambda c: c["rank"])
    assert [c["index"] for c in by_rank] == sorted((c["index"] for c in cities), reverse=True)
    topsis = result["peers"]["topsis"]
    assert len(topsis["cities"]) == 11
    # every city has a chief data officer: entropy gives that indicator weight 0, so TOPSIS
    # leaves it out (and says so)
    assert result["weights"]["indicators"]["chief_data_officer"] == 0.0
    assert topsis["indicators_dropped"] == ["chief_data_officer"]
    assert topsis["indicators_used"] == len(fw.indicators) - 1
    assert set(result["robustness"]["cities"]) == {c["code"] for c in cities}


def test_domain_barrels_and_roadmap_domains(fw: Framework) -> None:
    result = _run(fw, values_at(fw, 0.45), robustness=None, roadmap={"domains": ["government"]})
    domains = result["barrel"]["domains"]
    assert {"common", "government", "governance", "transport"} <= set(domains)
    gov = domains["government"]
    assert [s["element"] for s in gov["staves"]] == ["business"]
    assert "data" in gov["not_covered"]
    for phase in result["roadmap"]["phases"]:
        assert set(phase["domains"]) <= {"government"}


def test_unknown_roadmap_domain(fw: Framework) -> None:
    with pytest.raises(ValidationFailed, match="unknown domain 'mars'"):
        _run(fw, values_at(fw, 0.5), roadmap={"domains": ["mars"]})
