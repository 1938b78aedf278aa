"""The lattice search: optimal against brute force, really k-anonymous, and clear refusals."""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pytest
from bench.datasets import ADULT, ADULT_QIS, find, load_adult
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.errors import ValidationFailed
from citybase.privacy.anonymity import k_anonymity, l_diversity, t_closeness
from citybase.privacy.hierarchies import (
    CsvHierarchy,
    Hierarchy,
    IntervalHierarchy,
    age_hierarchy,
    builtin_csv_hierarchy,
)
from citybase.privacy.lattice import apply_generalisation, search_optimal
from citybase.privacy.risk import EncodedTable, LossName

JOBS = CsvHierarchy.from_csv(
    "nurse;health;care;*\ndoctor;health;care;*\nteacher;education;care;*\n"
    "lecturer;education;care;*\nwelder;industry;trade;*\nfitter;industry;trade;*\n",
    name="job",
)
SEXES = CsvHierarchy.from_csv("M;*\nF;*\n", name="sex")
ZIPS = CsvHierarchy.from_csv(
    "10001;1000*;100**;*\n10002;1000*;100**;*\n10011;1001*;100**;*\n20001;2000*;200**;*\n",
    name="zip",
)


def small_table(seed: int, n: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "age": rng.integers(18, 80, n),
            "sex": rng.choice(["M", "F"], n),
            "job": rng.choice(["nurse", "doctor", "teacher", "lecturer", "welder", "fitter"], n),
            "zip": rng.choice(["10001", "10002", "10011", "20001"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "illness": rng.choice(["flu", "asthma", "diabetes", "cancer"], n),
            "income": rng.integers(1, 9, n) * 1000,
        }
    )


HIERARCHIES: dict[str, Hierarchy] = {
    "age": IntervalHierarchy(widths=(10, 20), lower=0, upper=100, name="age"),
    "sex": SEXES,
    "job": JOBS,
    "zip": ZIPS,
}
QIS = ["age", "sex", "job", "zip"]


def brute_force(
    table: pa.Table, k: int, loss: LossName, budget: float, **criteria: object
) -> tuple[float, set[tuple[int, ...]]]:
    sensitive = criteria.pop("sensitive", None)
    data = EncodedTable(table, QIS, HIERARCHIES, sensitive=sensitive)  # type: ignore[arg-type]
    scores: dict[tuple[int, ...], float] = {}
    for levels in itertools.product(*(range(h) for h in data.heights)):
        ev = data.evaluate(levels, k=k, max_suppressed=budget * table.num_rows, **criteria)  # type: ignore[arg-type]
        if ev.anonymous:
            scores[levels] = data.loss(ev, loss)
    best = min(scores.values())
    return best, {lv for lv, s in scores.items() if s <= best + 1e-12}


@pytest.mark.parametrize("loss", ["loss_metric", "discernibility", "precision"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_search_is_optimal_against_brute_force(seed: int, loss: LossName) -> None:
    table = small_table(seed, 300)
    result = search_optimal(table, QIS, HIERARCHIES, 5, max_suppression=0.02, loss=loss)
    best, optimal = brute_force(table, 5, loss, 0.02)
    assert result.loss == pytest.approx(best)
    assert tuple(result.levels[q] for q in QIS) in optimal
    assert result.stats.lattice_size == 4 * 2 * 4 * 4
    assert result.stats.nodes_checked < result.stats.lattice_size


@pytest.mark.parametrize(
    "criteria",
    [
        {"l": 3, "diversity": "distinct"},
        {"l": 2.5, "diversity": "entropy"},
        {"t": 0.2},
    ],
)
def test_search_with_l_diversity_and_t_closeness_is_optimal(criteria: dict[str, object]) -> None:
    table = small_table(7, 400)
    result = search_optimal(
        table,
        QIS,
        HIERARCHIES,
        3,
        sensitive="illness",
        max_suppression=0.05,
        **criteria,  # type: ignore[arg-type]
    )
    bf = {
        "l_value": criteria.get("l"),
        "diversity": criteria.get("diversity", "distinct"),
        "t_value": criteria.get("t"),
    }
    best, optimal = brute_force(table, 3, "loss_metric", 0.05, sensitive="illness", **bf)
    assert result.loss == pytest.approx(best)
    assert tuple(result.levels[q] for q in QIS) in optimal
    released = apply_generalisation(table, result, HIERARCHIES)
    if "l" in criteria:
        kind = criteria["diversity"]
        assert l_diversity(released, QIS, "illness", kind=kind) >= float(criteria["l"]) - 1e-9  # type: ignore[arg-type]
    else:
        # t is measured against the whole table's distribution, suppressed rows included
        data = EncodedTable(table, QIS, HIERARCHIES, sensitive="illness")
        ev = data.evaluate(
            tuple(result.levels[q] for q in QIS), k=3, t_value=0.2, max_suppressed=20
        )
        assert ev.suppressed == len(result.suppressed_rows)
        assert t_closeness(released, QIS, "illness") < 1


@given(
    seed=st.integers(0, 10_000),
    n=st.integers(20, 200),
    k=st.integers(2, 6),
    budget=st.sampled_from([0.0, 0.01, 0.05, 0.1]),
)
@settings(max_examples=40, deadline=None)
def test_release_is_k_anonymous_and_within_the_suppression_limit(
    seed: int, n: int, k: int, budget: float
) -> None:
    table = small_table(seed, n)
    result = search_optimal(table, QIS, HIERARCHIES, k, max_suppression=budget)
    released = apply_generalisation(table, result, HIERARCHIES)
    assert len(result.suppressed_rows) <= budget * n
    assert released.num_rows == n - len(result.suppressed_rows)
    if released.num_rows:
        assert k_anonymity(released, QIS) >= k
    # every row's released label is its own value's label at the chosen level
    kept = np.setdiff1d(np.arange(n), result.suppressed_rows)
    originals = table.take(pa.array(kept))
    for q in QIS:
        level = result.levels[q]
        expected = [HIERARCHIES[q].labels(v)[level] for v in originals.column(q).to_pylist()]
        assert released.column(q).to_pylist() == expected


def test_generalisation_is_consistent_across_levels() -> None:
    # rows together at a level stay together at every higher level (labels nest)
    table = small_table(11, 500)
    data = EncodedTable(table, QIS, HIERARCHIES)
    for column in data.columns:
        for low, high in itertools.pairwise(range(len(column.gen))):
            pairs = set(zip(column.gen[low].tolist(), column.gen[high].tolist(), strict=True))
            parents = {child for child, _ in pairs}
            assert len(pairs) == len(parents), f"{column.name}: level {low} label has two parents"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 301}, "k = 301 is larger than the dataset (300 rows)"),
        ({"k": 0}, "k must be at least 1"),
        ({"k": 2, "max_suppression": 1.5}, "max_suppression"),
        ({"k": 2, "l": 2}, "need a sensitive column"),
        ({"k": 2, "loss": "entropy"}, "loss must be one of"),
        ({"k": 2, "l": 9, "sensitive": "illness"}, "no generalisation satisfies k=2, l=9"),
        ({"k": 2, "t": 2.0, "sensitive": "illness"}, "t must be between 0 and 1"),
        ({"k": 2, "sensitive": "age"}, "is also a quasi-identifier"),
    ],
)
def test_bad_search_requests_are_refused(kwargs: Mapping[str, object], message: str) -> None:
    table = small_table(5, 300)
    with pytest.raises(ValidationFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        search_optimal(table, QIS, HIERARCHIES, **kwargs)  # type: ignore[arg-type]


def test_missing_hierarchy_and_uncovered_values_are_refused() -> None:
    table = small_table(5, 50)
    with pytest.raises(ValidationFailed, match="'zip' has no generalisation hierarchy"):
        search_optimal(table, QIS, {q: h for q, h in HIERARCHIES.items() if q != "zip"}, 2)
    odd = table.set_column(3, "zip", pa.array(["99999", *table.column("zip").to_pylist()[1:]]))
    with pytest.raises(ValidationFailed, match="'99999' is not covered by hierarchy 'zip'"):
        search_optimal(odd, QIS, HIERARCHIES, 2)
    with pytest.raises(ValidationFailed, match="column 'postcode' is not in the table"):
        search_optimal(table, ["postcode"], {"postcode": ZIPS}, 2)


@pytest.mark.skipif(
    find(ADULT) is None and os.environ.get("CI") != "true",
    reason="UCI Adult not available: run `python bench/datasets.py --fetch` (make test does)",
)
def test_adult_k5_with_one_percent_suppression() -> None:
    path = find(ADULT)
    assert path is not None
    adult = load_adult(path)
    hierarchies: dict[str, Hierarchy] = {
        q: builtin_csv_hierarchy("adult", q) for q in ADULT_QIS if q != "age"
    }
    hierarchies["age"] = age_hierarchy()
    result = search_optimal(adult, ADULT_QIS, hierarchies, 5, max_suppression=0.01)
    released = apply_generalisation(adult, result, hierarchies)
    assert adult.num_rows == 32_561
    assert len(result.suppressed_rows) <= 325
    assert k_anonymity(released, ADULT_QIS) >= 5
    assert 0 < result.loss < 1
    assert result.stats.nodes_checked < result.stats.lattice_size / 2
