"""The scoring pipeline: hand-computed cases, the coverage rule, and property tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from citybase.assess.compiled import CompiledFramework
from citybase.assess.engine import (
    AREA_MAX,
    aggregate_axes,
    aggregate_elements,
    domain_member,
    evaluate,
    normalise,
    rank_descending,
    triangle,
)
from citybase.assess.weights import equal_weights

unit = st.floats(0.0, 1.0, allow_nan=False)


def test_normalise_by_hand() -> None:
    lower = np.array([0.0, 1.0, 50.0])
    upper = np.array([100.0, 72.0, 100.0])
    higher = np.array([True, False, True])
    x = np.array([[85.0, 10.0, 40.0], [120.0, 0.5, np.nan]])
    s = normalise(x, lower, upper, higher)
    assert s[0, 0] == pytest.approx(0.85)
    assert s[0, 1] == pytest.approx((72 - 10) / 71)
    assert s[0, 2] == 0.0  # below L clips to 0
    assert s[1, 0] == 1.0 and s[1, 1] == 1.0  # beyond U (or below L when lower is better)
    assert np.isnan(s[1, 2])  # missing stays missing


def test_element_mean_and_two_thirds_rule() -> None:
    starts = np.array([0, 3])  # element 0: indicators 0-2, element 1: indicators 3-8
    w = np.array([1, 1, 2, 1, 1, 1, 1, 1, 1], dtype=float) / np.array([4, 4, 4, 6, 6, 6, 6, 6, 6])
    full = np.array([0.2, 0.4, 0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    agg = aggregate_elements(full[None, :], w, starts)
    assert agg.score[0, 0] == pytest.approx((0.2 + 0.4 + 2 * 0.9) / 4)
    assert agg.score[0, 1] == pytest.approx(0.35)
    two_of_three = full.copy()
    two_of_three[0] = np.nan
    agg = aggregate_elements(two_of_three[None, :], w, starts)
    assert agg.score[0, 0] == pytest.approx((0.4 + 2 * 0.9) / 3)  # renormalised over present
    one_of_three = two_of_three.copy()
    one_of_three[1] = np.nan
    assert np.isnan(aggregate_elements(one_of_three[None, :], w, starts).score[0, 0])
    four_of_six = full.copy()
    four_of_six[[3, 4]] = np.nan
    assert not np.isnan(aggregate_elements(four_of_six[None, :], w, starts).score[0, 1])
    three_of_six = four_of_six.copy()
    three_of_six[5] = np.nan
    agg = aggregate_elements(three_of_six[None, :], w, starts)
    assert np.isnan(agg.score[0, 1])
    assert (agg.present[0, 1], agg.total[0, 1]) == (3, 6)


def test_axis_geometric_and_arithmetic_by_hand() -> None:
    elements = np.array([[0.25, 1.0, 0.5, 0.5, 0.5, 0.0, 0.9, 0.9]])
    weights = np.array([0.5, 0.5, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3])
    starts = np.array([0, 2, 5])
    geo = aggregate_axes(elements, weights, starts, "geometric")
    assert geo[0] == pytest.approx([0.5, 0.5, 0.0])  # √(0.25·1); a zero element zeroes its axis
    ari = aggregate_axes(elements, weights, starts, "arithmetic")
    assert ari[0] == pytest.approx([0.625, 0.5, 0.6])
    elements[0, 3] = np.nan
    assert np.isnan(aggregate_axes(elements, weights, starts)[0, 1])


def test_triangle_by_hand() -> None:
    tri = triangle(np.array([[1.0, 1.0, 1.0], [0.6, 0.5, 0.4], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]))
    assert tri.area[0] == pytest.approx(math.sqrt(3) / 2) and tri.index[0] == pytest.approx(1.0)
    pairs = 0.3**2 + 0.2**2 + 0.24**2
    assert tri.area[1] == pytest.approx(0.5 * math.sqrt(pairs))
    assert tri.index[1] == pytest.approx(math.sqrt(pairs / 3))
    assert tri.sqrt_index[1] == pytest.approx(math.sqrt(math.sqrt(pairs / 3)))
    assert tri.geometric_mean[1] == pytest.approx((0.6 * 0.5 * 0.4) ** (1 / 3))
    assert tri.barrel_ratio[1] == pytest.approx(0.4 / 0.6)
    # a strong pair and nothing else: area 0.5, index 1/√3 — yet the balance measures are 0
    assert tri.area[2] == pytest.approx(0.5) and tri.geometric_mean[2] == 0.0
    assert tri.barrel_ratio[2] == 0.0
    assert np.isnan(tri.barrel_ratio[3])


def test_rank_descending_ties_and_missing() -> None:
    ranks = rank_descending(np.array([0.5, 0.7, 0.5, np.nan, 0.1]))
    assert list(ranks[:3]) == [2.0, 1.0, 2.0] and np.isnan(ranks[3]) and ranks[4] == 4.0


@settings(max_examples=200, deadline=None)
@given(b=unit, t=unit, e=unit)
def test_triangle_matches_cross_product(b: float, t: float, e: float) -> None:
    p1, p2, p3 = np.array([b, 0, 0]), np.array([0, t, 0]), np.array([0, 0, e])
    direct = 0.5 * np.linalg.norm(np.cross(p2 - p1, p3 - p1))
    tri = triangle(np.array([b, t, e]))
    assert float(tri.area) == pytest.approx(direct, abs=1e-12)
    assert float(tri.index) == pytest.approx(direct / AREA_MAX, abs=1e-12)


def _city_matrix(cf: CompiledFramework, fractions: np.ndarray) -> np.ndarray:
    return cf.lower + fractions * (cf.upper - cf.lower)


fraction_rows = arrays(np.float64, 49, elements=st.floats(-0.5, 1.5, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(fraction_rows, min_size=1, max_size=4),
    agg=st.sampled_from(["geometric", "arithmetic"]),
)
def test_scores_stay_in_unit_interval(
    cf: CompiledFramework, rows: list[np.ndarray], agg: str
) -> None:
    assert cf.n_indicators == 49
    x = _city_matrix(cf, np.array(rows))
    w = equal_weights(cf)
    ev = evaluate(cf, x, w.indicator, w.element, aggregation=agg)  # type: ignore[arg-type]
    for arr in (
        ev.indicators,
        ev.elements.score,
        ev.axes,
        ev.triangle.index,
        ev.triangle.area / AREA_MAX,
        ev.triangle.sqrt_index,
        ev.triangle.geometric_mean,
        ev.triangle.barrel_ratio,
    ):
        finite = arr[~np.isnan(arr)]
        assert np.all(finite >= 0.0) and np.all(finite <= 1.0 + 1e-12)


@settings(max_examples=200, deadline=None)
@given(
    base=arrays(np.float64, 49, elements=st.floats(0.0, 1.0, allow_nan=False)),
    j=st.integers(0, 48),
    step=st.floats(0.001, 1.0),
    agg=st.sampled_from(["geometric", "arithmetic"]),
    seed=st.integers(0, 2**16),
)
def test_improving_an_indicator_never_lowers_anything(
    cf: CompiledFramework, base: np.ndarray, j: int, step: float, agg: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    w = equal_weights(cf)
    iw = w.indicator * rng.uniform(0.2, 2.0, w.indicator.size)  # any positive weights
    ew = w.element * rng.uniform(0.2, 2.0, w.element.size)
    before = _city_matrix(cf, base[None, :])
    after = before.copy()
    direction = 1.0 if cf.higher[j] else -1.0
    after[0, j] += direction * step * (cf.upper[j] - cf.lower[j])
    a = evaluate(cf, before, iw, ew, aggregation=agg)  # type: ignore[arg-type]
    b = evaluate(cf, after, iw, ew, aggregation=agg)  # type: ignore[arg-type]
    k = cf.element_of[j]
    eps = 1e-12
    assert b.elements.score[0, k] >= a.elements.score[0, k] - eps
    assert np.all(b.axes[0] >= a.axes[0] - eps)
    assert b.triangle.index[0] >= a.triangle.index[0] - eps
    assert b.triangle.area[0] >= a.triangle.area[0] - eps


@settings(max_examples=100, deadline=None)
@given(b=unit, t=unit, e=unit, which=st.integers(0, 2), bump=st.floats(0.0, 1.0))
def test_index_monotone_in_each_axis(b: float, t: float, e: float, which: int, bump: float) -> None:
    axes = np.array([b, t, e])
    better = axes.copy()
    better[which] = min(1.0, better[which] + bump)
    assume(better[which] >= axes[which])
    assert float(triangle(better).index) >= float(triangle(axes).index) - 1e-12


def test_domain_view_counts_only_the_domains_indicators(cf: CompiledFramework) -> None:
    member = domain_member(cf, "government")
    assert member.sum() == 5
    scores = np.full((1, cf.n_indicators), 0.5)
    agg = aggregate_elements(scores, equal_weights(cf).indicator, cf.element_starts, member)
    business = cf.element_index("business")
    assert agg.total[0, business] == 5 and agg.score[0, business] == pytest.approx(0.5)
    data = cf.element_index("data")
    assert agg.total[0, data] == 0 and np.isnan(agg.score[0, data])


def test_missing_element_makes_axis_and_index_missing(cf: CompiledFramework) -> None:
    x = _city_matrix(cf, np.full((1, cf.n_indicators), 0.5))
    culture = np.flatnonzero(cf.element_of == cf.element_index("culture"))
    x[0, culture[:2]] = np.nan  # 3 of 5 present: 9 >= 10 is false → missing
    w = equal_weights(cf)
    ev = evaluate(cf, x, w.indicator, w.element)
    assert np.isnan(ev.elements.score[0, cf.element_index("culture")])
    assert np.isnan(ev.axes[0, 2]) and not np.isnan(ev.axes[0, 0])
    assert np.isnan(ev.triangle.index[0])
