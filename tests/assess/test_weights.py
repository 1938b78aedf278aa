"""Weights: AHP against Saaty's published examples, entropy by hand, profiles, resolution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.assess.ahp import SAATY_RI, ahp, parse_pairwise
from citybase.assess.compiled import CompiledFramework
from citybase.assess.weights import (
    AhpSpec,
    WeightSpec,
    ahp_weights,
    entropy_weights,
    load_profiles,
    profile_weights,
    resolve_weights,
)
from citybase.errors import ValidationFailed

# Saaty, "Decision making with the analytic hierarchy process", Int. J. Services Sciences 1
# (2008), Table 2: relative consumption of drinks in the United States. Published derived
# priorities: .177 .019 .042 .116 .190 .129 .327.
DRINKS = ("coffee", "wine", "tea", "beer", "sodas", "milk", "water")
DRINKS_MATRIX = [
    [1, 9, 5, 2, 1, 1, "1/2"],
    ["1/9", 1, "1/3", "1/9", "1/9", "1/9", "1/9"],
    ["1/5", 3, 1, "1/3", "1/4", "1/3", "1/9"],
    ["1/2", 9, 3, 1, "1/2", 1, "1/3"],
    [1, 9, 4, 2, 1, 2, "1/2"],
    [1, 9, 3, 1, "1/2", 1, "1/3"],
    [2, 9, 9, 3, 2, 3, 1],
]
DRINKS_PUBLISHED = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]

# Saaty's optics experiment (The Analytic Hierarchy Process, 1980, ch. 2): relative
# brightness of four chairs; published eigenvector (0.61, 0.24, 0.10, 0.05), λmax = 4.39.
CHAIRS = ("c1", "c2", "c3", "c4")
CHAIRS_MATRIX = [[1, 5, 6, 7], ["1/5", 1, 4, 6], ["1/6", "1/4", 1, 4], ["1/7", "1/6", "1/4", 1]]


def test_ahp_matches_saaty_drinks_example() -> None:
    matrix = parse_pairwise(DRINKS_MATRIX, DRINKS, "drinks")
    res = ahp(matrix, DRINKS, where="drinks")
    assert [round(float(w), 3) for w in res.weights] == DRINKS_PUBLISHED
    assert res.ri == SAATY_RI[7] == 1.32
    assert res.ci == pytest.approx((res.lambda_max - 7) / 6)
    assert res.cr == pytest.approx(res.ci / 1.32)
    assert res.cr < 0.1


def test_ahp_refuses_saaty_chairs_with_explanation() -> None:
    matrix = parse_pairwise(CHAIRS_MATRIX, CHAIRS, "weights.ahp.elements.T")
    with pytest.raises(ValidationFailed) as info:
        ahp(matrix, CHAIRS, where="weights.ahp.elements.T")
    msg = info.value.message
    assert "λmax = 4.391" in msg  # the published 4.39
    assert "CR = 0.145 ≥ 0.1" in msg
    assert "RI(4) = 0.9" in msg
    assert "cell [" in msg and "Revise that cell" in msg
    assert info.value.field == "weights.ahp.elements.T"


def test_ahp_chairs_eigenvector_matches_published_when_not_gated() -> None:
    # the weights themselves (computed before the CR gate) match Saaty's published vector
    matrix = parse_pairwise(CHAIRS_MATRIX, CHAIRS, "chairs")
    values, vectors = np.linalg.eig(matrix)
    vec = np.abs(vectors[:, np.argmax(values.real)].real)
    assert [round(float(v), 2) for v in vec / vec.sum()] == [0.62, 0.24, 0.10, 0.05]
    assert float(np.max(values.real)) == pytest.approx(4.39, abs=0.005)


@settings(max_examples=100, deadline=None)
@given(raw=st.lists(st.floats(0.2, 5.0), min_size=2, max_size=9))
def test_ahp_recovers_weights_of_a_consistent_matrix(raw: list[float]) -> None:
    w = np.array(raw) / sum(raw)
    matrix = w[:, None] / w[None, :]
    labels = tuple(f"x{i}" for i in range(len(raw)))
    res = ahp(matrix, labels)
    assert np.allclose(res.weights, w, atol=1e-9)
    assert res.cr == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        ([[1, 3], [3, 1]], "[a, b] = 3 but [b, a] = 3; they must be reciprocals"),
        ([[2, 3], ["1/3", 1]], "[a, a] = 2; the diagonal must be 1"),
        ([[1, 12], ["1/12", 1]], "[a, b] = 12 is outside Saaty's scale"),
        ([[1, "three"], ["1/3", 1]], "[a, b] = 'three' is not a number"),
        ([[1, -3], ["1/3", 1]], "[a, b] = -3 must be a positive number"),
        ([[1, 3]], "expected a 2×2 matrix"),
    ],
)
def test_pairwise_validation_names_the_cell(matrix: list[list[object]], expected: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_pairwise(matrix, ("a", "b"), "m")
    assert expected in info.value.message


def test_ahp_weight_set_on_the_framework(cf: CompiledFramework) -> None:
    spec = AhpSpec.model_validate({"elements": {"B": {"matrix": [[1, 3], ["1/3", 1]]}}})
    ws = ahp_weights(cf, spec)
    assert ws.element[cf.element_index("business")] == pytest.approx(0.75)
    assert ws.element[cf.element_index("operations")] == pytest.approx(0.25)
    assert ws.element[cf.element_index("data")] == pytest.approx(1 / 3)  # untouched: equal
    assert ws.details["ahp"]["elements.B"]["cr"] == 0.0


def test_ahp_weight_set_order_must_match(cf: CompiledFramework) -> None:
    spec = AhpSpec.model_validate(
        {"elements": {"T": {"order": ["data", "security"], "matrix": [[1, 2], ["1/2", 1]]}}}
    )
    with pytest.raises(ValidationFailed, match="order must list exactly data, technology"):
        ahp_weights(cf, spec)


def test_entropy_refuses_fewer_than_ten_peers(cf: CompiledFramework) -> None:
    scores = np.random.default_rng(0).uniform(0, 1, (10, cf.n_indicators))  # city + 9 peers
    with pytest.raises(ValidationFailed, match=r"at least 10 peer cities.*9 loaded"):
        entropy_weights(cf, scores)


def test_entropy_weights_by_hand(cf: CompiledFramework) -> None:
    rng = np.random.default_rng(1)
    scores = rng.uniform(0.1, 0.9, (11, cf.n_indicators))
    scores[:, 0] = 0.5  # identical everywhere: carries no information
    ws = entropy_weights(cf, scores)
    business = np.flatnonzero(cf.element_of == cf.element_index("business"))
    assert ws.indicator[0] == pytest.approx(0.0, abs=1e-12)
    diversity = []
    for j in business:
        p = scores[:, j] / scores[:, j].sum()
        diversity.append(1 + (p * np.log(p)).sum() / math.log(11))
    d = np.array(diversity)
    assert np.allclose(ws.indicator[business], d / d.sum())
    assert ws.indicator[business].sum() == pytest.approx(1.0)


def test_entropy_notes_indicators_reported_by_too_few(cf: CompiledFramework) -> None:
    scores = np.random.default_rng(2).uniform(0.1, 0.9, (11, cf.n_indicators))
    scores[3:, 1] = np.nan  # only 3 cities report indicator 1
    ws = entropy_weights(cf, scores)
    assert any(cf.indicator_ids[1] in note for note in ws.details["entropy"]["notes"])
    assert ws.indicator[1] > 0


def test_gbt_profile(cf: CompiledFramework) -> None:
    ws = profile_weights(cf, "gbt33356_2016", load_profiles())
    assert ws.element[cf.element_index("business")] == pytest.approx(57 / 74)
    assert ws.element[cf.element_index("security")] == pytest.approx(8 / 22)
    assert ws.element[cf.element_index("culture")] == pytest.approx(1 / 3)
    assert "2476" in ws.details["profile"]["source"]


def test_resolve_weights_errors(cf: CompiledFramework) -> None:
    with pytest.raises(ValidationFailed, match="Unknown weight profile 'nope'"):
        resolve_weights(cf, WeightSpec(method="profile", profile="nope"))
    with pytest.raises(ValidationFailed, match=r"no weights\.ahp matrices"):
        resolve_weights(cf, WeightSpec(method="ahp"))
    with pytest.raises(ValidationFailed, match="need peer cities"):
        resolve_weights(cf, WeightSpec(method="entropy"))
    assert resolve_weights(cf, WeightSpec()).method == "equal"
