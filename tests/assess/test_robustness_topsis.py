"""Monte-Carlo robustness and TOPSIS."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from citybase.assess.compiled import CompiledFramework
from citybase.assess.engine import evaluate
from citybase.assess.robustness import RobustnessSpec, dirichlet_groups, robustness, simulate
from citybase.assess.topsis import topsis
from citybase.assess.weights import equal_weights


def _cities(cf: CompiledFramework, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cf.lower + rng.uniform(0.05, 0.95, (n, cf.n_indicators)) * (cf.upper - cf.lower)


def test_no_perturbation_collapses_to_the_deterministic_scores(cf: CompiledFramework) -> None:
    x = _cities(cf, 5)
    w = equal_weights(cf)
    spec = RobustnessSpec(draws=200, goalpost_jitter=0.0, concentration=1e12, arithmetic_share=0.0)
    draws = simulate(cf, x, w, spec)
    exact = evaluate(cf, x, w.indicator, w.element).triangle.index
    assert np.allclose(draws.index, exact[None, :], atol=1e-6)
    assert draws.geometric.all()


def test_intervals_are_ordered_and_ranks_bounded(cf: CompiledFramework) -> None:
    codes = [f"c{i}" for i in range(12)]
    out = robustness(cf, _cities(cf, 12), equal_weights(cf), codes, RobustnessSpec(draws=2000))
    assert out["draws"] == 2000
    assert 0.4 < out["geometric_share"] < 0.6
    for code in codes:
        city = out["cities"][code]
        assert city["index"]["p5"] <= city["index"]["p50"] <= city["index"]["p95"]
        assert 1 <= city["rank"]["best"] <= city["rank"]["worst"] <= 12
        for axis in "BTE":
            assert 0 <= city["axes"][axis]["p5"] <= city["axes"][axis]["p95"] <= 1


def test_perturbation_widens_the_interval(cf: CompiledFramework) -> None:
    x = _cities(cf, 3)
    w = equal_weights(cf)
    narrow = robustness(
        cf,
        x,
        w,
        ["a", "b", "c"],
        RobustnessSpec(draws=1000, goalpost_jitter=0.01, concentration=5000),
    )
    wide = robustness(
        cf, x, w, ["a", "b", "c"], RobustnessSpec(draws=1000, goalpost_jitter=0.3, concentration=10)
    )

    def width(r: dict[str, Any]) -> float:
        return float(r["cities"]["a"]["index"]["p95"] - r["cities"]["a"]["index"]["p5"])

    assert width(wide) > 2 * width(narrow)


def test_same_seed_same_result(cf: CompiledFramework) -> None:
    x = _cities(cf, 4)
    w = equal_weights(cf)
    spec = RobustnessSpec(draws=500, seed=7)
    assert robustness(cf, x, w, list("abcd"), spec) == robustness(cf, x, w, list("abcd"), spec)


def test_missing_city_has_no_interval(cf: CompiledFramework) -> None:
    x = _cities(cf, 3)
    x[1, :] = np.nan
    out = robustness(cf, x, equal_weights(cf), ["a", "b", "c"], RobustnessSpec(draws=300))
    assert out["cities"]["b"]["index"]["p50"] is None
    assert out["cities"]["b"]["rank"]["best"] is None
    assert out["cities"]["a"]["rank"]["worst"] <= 2


def test_dirichlet_groups_sum_to_one_within_groups() -> None:
    rng = np.random.default_rng(3)
    centre = np.array([0.5, 0.5, 0.2, 0.3, 0.5])
    draws = dirichlet_groups(rng, centre, np.array([0, 2]), 4000, 100.0)
    assert np.allclose(draws[:, :2].sum(axis=1), 1) and np.allclose(draws[:, 2:].sum(axis=1), 1)
    assert np.allclose(draws.mean(axis=0), centre, atol=0.01)


def test_topsis_by_hand() -> None:
    # 3 cities x 2 criteria: the first higher-is-better, the second lower-is-better.
    x = np.array([[80.0, 10.0], [60.0, 5.0], [40.0, 20.0]])
    w = np.array([0.6, 0.4])
    out = topsis(x, w, np.array([True, False]), labels=["a", "b", "c"], indicator_ids=("u", "v"))
    n1, n2 = math.sqrt(80**2 + 60**2 + 40**2), math.sqrt(10**2 + 5**2 + 20**2)
    v = [(0.6 * r[0] / n1, 0.4 * r[1] / n2) for r in x]
    best = (max(p[0] for p in v), min(p[1] for p in v))
    worst = (min(p[0] for p in v), max(p[1] for p in v))
    hand = [math.dist(r, worst) / (math.dist(r, best) + math.dist(r, worst)) for r in v]
    assert [c["closeness"] for c in out["cities"]] == pytest.approx(hand, abs=1e-6)
    expected_rank = {i: pos + 1 for pos, i in enumerate(sorted(range(3), key=lambda i: -hand[i]))}
    assert [c["rank"] for c in out["cities"]] == [expected_rank[i] for i in range(3)]


def test_topsis_dominant_city_first_and_missing_columns_dropped() -> None:
    x = np.array([[9.0, 9.0, np.nan], [5.0, 5.0, 1.0], [1.0, 2.0, 3.0]])
    out = topsis(
        x,
        np.ones(3),
        np.array([True, True, True]),
        labels=["a", "b", "c"],
        indicator_ids=("p", "q", "r"),
    )
    assert out["indicators_dropped"] == ["r"] and out["indicators_used"] == 2
    ranks = {c["city"]: c["rank"] for c in out["cities"]}
    assert ranks == {"a": 1, "b": 2, "c": 3}
    assert out["cities"][0]["closeness"] == pytest.approx(1.0)
