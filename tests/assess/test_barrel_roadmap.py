"""Barrel effect, phases and the 1+N roadmap."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from citybase.assess.barrel import barrel_view, phase_status, phase_target_value
from citybase.assess.compiled import CompiledFramework
from citybase.assess.engine import Evaluation, evaluate
from citybase.assess.framework import FloatArray, Framework
from citybase.assess.roadmap import build_roadmap, load_actions, parse_actions
from citybase.assess.weights import WeightSet, equal_weights
from citybase.errors import ValidationFailed
from tests.assess.builders import values_at


def _evaluate(
    cf: CompiledFramework, values: Mapping[str, float | None]
) -> tuple[FloatArray, Evaluation, WeightSet]:
    x = np.full((1, cf.n_indicators), np.nan)
    for ind_id, v in values.items():
        if v is not None:
            x[0, cf.index(ind_id)] = v
    w = equal_weights(cf)
    return x[0], evaluate(cf, x, w.indicator, w.element), w


def test_barrel_ranks_by_weighted_shortfall(fw: Framework, cf: CompiledFramework) -> None:
    fractions = {
        "business": 0.7,
        "operations": 0.6,
        "data": 0.5,
        "technology": 0.9,
        "security": 0.3,
        "culture": 0.8,
        "mechanism": 0.6,
        "ecosystem": 0.35,
    }
    values, ev, w = _evaluate(cf, values_at(fw, fractions))
    # mechanism holds the yes/no chief_data_officer (1 at 0.6): (4 x 0.6 + 1) / 5
    scores = {**fractions, "mechanism": 0.68}
    view = barrel_view(
        cf,
        view="overall",
        values=values,
        scores=ev.indicators[0],
        element_scores=ev.elements.score[0],
        present=ev.elements.present[0],
        totals=ev.elements.total[0],
        element_weights=w.element,
    )
    shortfall = {
        e: (1 / 6 if e in ("business", "operations") else 1 / 9) * (1 - f)
        for e, f in scores.items()
    }
    expected = sorted(shortfall, key=lambda e: (-shortfall[e], e))
    assert [s["element"] for s in view["staves"]] == expected
    for stave in view["staves"]:
        assert stave["shortfall"] == pytest.approx(shortfall[stave["element"]], abs=1e-6)
    # B elements weigh 1/6 each (two per axis), so operations at 0.6 outranks data at 0.5
    assert view["shortest"] == ["security", "ecosystem", "operations"]
    assert view["phase"] == {
        "current": None,
        "next": "short",
        "next_threshold": 0.4,
        "provisional": False,
    }
    gap = view["gaps"][0]
    assert gap["element"] == "security" and gap["score_gap"] == pytest.approx(0.1)
    mlps = next(i for i in gap["indicators"] if i["id"] == "mlps_level3_share")
    assert mlps["value"] == pytest.approx(30) and mlps["target_value"] == pytest.approx(40)
    assert mlps["gap"] == pytest.approx(10)


def test_phase_target_values(fw: Framework) -> None:
    hotline = fw.indicator("hotline_response_hours")  # lower is better, L=1 U=72
    assert phase_target_value(hotline, "mid", 0.6) == pytest.approx(72 - 0.6 * 71)
    online = fw.indicator("services_online_share")
    assert phase_target_value(online, "long", 0.8) == pytest.approx(80)


def test_phase_status_is_set_by_the_shortest_stave(fw: Framework) -> None:
    totals = np.ones(8, dtype=np.intp)
    status = phase_status(fw, np.array([0.9, 0.9, 0.65, 0.9, 0.9, 0.9, 0.9, 0.9]), totals)
    assert (status.current, status.next) == ("mid", "long")
    status = phase_status(fw, np.full(8, 0.85), totals)
    assert (status.current, status.next) == ("long", None)
    with_missing = np.array([0.9, np.nan, 0.65, 0.9, 0.9, 0.9, 0.9, 0.9])
    assert phase_status(fw, with_missing, totals).provisional


def test_roadmap_priorities_and_measure_first(fw: Framework, cf: CompiledFramework) -> None:
    vals: dict[str, float | None] = dict(values_at(fw, 0.3))
    vals["open_data_apps"] = None
    values, ev, w = _evaluate(cf, vals)
    status = phase_status(fw, ev.elements.score[0], ev.elements.total[0])
    global_w = cf.global_indicator_weights(w.indicator, w.element)
    plan = build_roadmap(
        cf,
        load_actions(fw),
        values=values,
        scores=ev.indicators[0],
        global_weights=global_w,
        status=status,
        max_per_phase=50,
    )
    assert [p["id"] for p in plan["phases"]] == ["short", "mid", "long"]
    assert [p["status"] for p in plan["phases"]] == ["next", "later", "later"]
    assert plan["measure_first"] == ["open_data_apps"]
    short = plan["phases"][0]
    item = next(i for i in short["common"] if i["action"] == "build_data_catalogue")
    j = cf.index("data_catalogued_share")
    assert item["priority"] == pytest.approx(global_w[j] * (0.4 - 0.3), abs=1e-6)
    cited = item["indicators"][0]
    assert cited["target_value"] == pytest.approx(40) and cited["expected_value"] == pytest.approx(
        70
    )
    assert "government" in short["domains"]
    assert all(i["domain"] == "government" for i in short["domains"]["government"])
    # at 0.3 every indicator is below every phase target: every action of a phase qualifies
    assert sum(1 for a in load_actions(fw) if a.phase == "long") == plan["phases"][2]["candidates"]
    opendata = next(i for i in plan["phases"][2]["common"] if i["action"] == "open_data_programme")
    assert opendata["unmeasured"] == ["open_data_apps"]
    priorities = [i["priority"] for i in short["common"]]
    assert priorities == sorted(priorities, reverse=True)


def test_roadmap_skips_actions_without_gaps(fw: Framework, cf: CompiledFramework) -> None:
    values, ev, w = _evaluate(cf, values_at(fw, 0.95))
    status = phase_status(fw, ev.elements.score[0], ev.elements.total[0])
    plan = build_roadmap(
        cf,
        load_actions(fw),
        values=values,
        scores=ev.indicators[0],
        global_weights=cf.global_indicator_weights(w.indicator, w.element),
        status=status,
    )
    assert status.current == "long"
    assert all(p["status"] == "reached" for p in plan["phases"])
    assert all(not p["common"] and not p["domains"] for p in plan["phases"])


def test_roadmap_expected_value_stays_in_unit_range(fw: Framework, cf: CompiledFramework) -> None:
    vals = values_at(fw, 0.3)
    vals["data_graded_share"] = 80.0  # +50 would exceed 100 %
    values, ev, w = _evaluate(cf, vals)
    plan = build_roadmap(
        cf,
        load_actions(fw),
        values=values,
        scores=ev.indicators[0],
        global_weights=cf.global_indicator_weights(w.indicator, w.element),
        status=phase_status(fw, ev.elements.score[0], ev.elements.total[0]),
        max_per_phase=50,
    )
    item = next(i for i in plan["phases"][0]["common"] if i["action"] == "classify_and_grade_data")
    graded = next(i for i in item["indicators"] if i["id"] == "data_graded_share")
    assert graded["expected_value"] == 100.0


def _action(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "x",
        "title": {"zh": "行动", "en": "Action"},
        "elements": ["data"],
        "phase": "short",
        "effects": [{"indicator": "data_graded_share", "change": 10}],
    }
    base.update(over)
    return base


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"effects": [{"indicator": "nope", "change": 1}]}, "cites unknown indicator 'nope'"),
        (
            {"effects": [{"indicator": "gov_cloud_share", "change": 1}]},
            "cites 'gov_cloud_share' of element 'technology', which is not among its elements",
        ),
        ({"phase": "soon"}, "unknown phase 'soon'"),
        ({"domain": "mars"}, "unknown domain 'mars'"),
    ],
)
def test_action_library_validation(
    fw: Framework, override: dict[str, object], expected: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_actions({"actions": [_action(**override)]}, fw, origin="lib.yaml")
    assert expected in info.value.message and "action 'x'" in info.value.message


def test_default_action_library_covers_every_phase_and_element(fw: Framework) -> None:
    actions = load_actions(fw)
    assert {a.phase for a in actions} == {"short", "mid", "long"}
    assert {e for a in actions for e in a.elements} == set(fw.elements)
    assert {a.domain for a in actions} >= {"common", "government", "governance", "transport"}
