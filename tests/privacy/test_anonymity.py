"""Privacy models, hierarchies and the risk report on tables small enough to check by hand."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from citybase.errors import ValidationFailed
from citybase.privacy.anonymity import equivalence_classes, k_anonymity, l_diversity, t_closeness
from citybase.privacy.hierarchies import (
    AddressHierarchy,
    CsvHierarchy,
    DateHierarchy,
    DivisionHierarchy,
    IntervalHierarchy,
    age_hierarchy,
    builtin_csv_hierarchy,
    builtin_hierarchy,
)
from citybase.privacy.risk import risk_report

TABLE = pa.table(
    {
        "zip": ["47677", "47677", "47677", "47905", "47905", "47905", "47605", "47605", "47605"],
        "age": [29, 22, 27, 43, 52, 47, 30, 36, 32],
        "disease": [
            "gastric",
            "gastric",
            "gastric",
            "gastric",
            "flu",
            "bronchitis",
            "gastric",
            "cancer",
            "cancer",
        ],
        "salary": [3, 4, 5, 6, 11, 8, 7, 9, 10],
    }
)


def test_equivalence_classes_and_k() -> None:
    classes = equivalence_classes(TABLE, ["zip"])
    assert classes.column("size").to_pylist() == [3, 3, 3]
    assert k_anonymity(TABLE, ["zip"]) == 3
    assert k_anonymity(TABLE, ["zip", "age"]) == 1


def test_l_diversity_distinct_and_entropy() -> None:
    assert l_diversity(TABLE, ["zip"], "disease") == 1  # 47677 are all gastric
    two = TABLE.slice(3)
    assert l_diversity(two, ["zip"], "disease", kind="distinct") == 2
    # 47605: gastric, cancer, cancer -> exp(entropy) = exp(-(1/3 ln 1/3 + 2/3 ln 2/3))
    expected = math.exp(-(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)))
    assert l_diversity(two, ["zip"], "disease", kind="entropy") == pytest.approx(expected)
    with pytest.raises(ValidationFailed, match="distinct or entropy"):
        l_diversity(TABLE, ["zip"], "disease", kind="recursive")  # type: ignore[arg-type]


def test_t_closeness_matches_the_published_example() -> None:
    # Li, Li & Venkatasubramanian (2007): salary {3k,4k,5k} vs the whole table -> EMD 0.375.
    assert t_closeness(TABLE, ["zip"], "salary") == pytest.approx(0.375)
    # disease, equal distance: every class is 4/9 away from (5/9 gastric, 1/9, 1/9, 2/9)
    assert t_closeness(TABLE, ["zip"], "disease") == pytest.approx(4 / 9)
    assert t_closeness(TABLE, ["zip", "age"], "salary") > 0.375


def test_unknown_columns_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="column 'zipcode' is not in the table"):
        k_anonymity(TABLE, ["zipcode"])
    with pytest.raises(ValidationFailed, match="sensitive column 'illness'"):
        l_diversity(TABLE, ["zip"], "illness")
    with pytest.raises(ValidationFailed, match="at least one quasi-identifier"):
        k_anonymity(TABLE, [])


def test_built_in_hierarchies() -> None:
    assert DateHierarchy().labels(date(1983, 5, 31)) == (
        "1983-05-31",
        "1983-05",
        "1983",
        "1980-1989",
        "*",
    )
    assert DateHierarchy().labels("2001-01-02")[3] == "2000-2009"
    assert age_hierarchy().labels(37) == ("37", "[35, 40)", "[30, 40)", "[20, 40)", "*")
    assert IntervalHierarchy(widths=(1000, 5000), lower=0, upper=100000).labels(7300.5)[1:] == (
        "[7000, 8000)",
        "[5000, 10000)",
        "*",
    )
    assert DivisionHierarchy().labels("320102") == ("320102", "320100", "320000", "*")
    assert AddressHierarchy().labels("示范市北塘区玉泉街道春江路8号") == (
        "示范市北塘区玉泉街道春江路8号",
        "示范市北塘区玉泉街道",
        "示范市北塘区",
        "示范市",
        "*",
    )
    assert builtin_hierarchy("age").height == 5
    assert builtin_csv_hierarchy("adult", "education").labels("Masters") == (
        "Masters",
        "University",
        "Higher education",
        "*",
    )


@pytest.mark.parametrize(
    ("hierarchy", "value", "message"),
    [
        (DateHierarchy(), "31/05/1983", "'31/05/1983' is not covered by hierarchy 'date'"),
        (age_hierarchy(), 170, "170 is not covered by hierarchy 'age': outside the range [0, 160)"),
        (age_hierarchy(), "old", "expected a number"),
        (DivisionHierarchy(), "999999", "'999999' is not covered by hierarchy 'division'"),
        (DivisionHierarchy(), "3201", "six-digit"),
        (AddressHierarchy(), "春江路8号", "no city"),
    ],
)
def test_values_outside_a_hierarchy_are_refused_by_name(hierarchy, value, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed, match=message.replace("[", r"\[").replace(")", r"\)")):
        hierarchy.labels(value)


def test_user_csv_hierarchies_are_checked(tmp_path: Path) -> None:
    good = CsvHierarchy.from_csv("a,x,*\nb,x,*\nc,y,*\n", name="letters")
    assert good.labels("b") == ("b", "x", "*") and good.height == 3
    with pytest.raises(ValidationFailed, match="'z' is not covered by hierarchy 'letters'"):
        good.labels("z")
    with pytest.raises(ValidationFailed, match="row 2: has 2 columns, expected 3"):
        CsvHierarchy.from_csv("a;x;*\nb;*\n", name="ragged")
    with pytest.raises(ValidationFailed, match="label 'x' at level 1 has two parents"):
        CsvHierarchy.from_csv("a;x;p;*\nb;x;q;*\n", name="tangled")
    with pytest.raises(ValidationFailed, match="does not exist"):
        CsvHierarchy.from_csv(tmp_path / "missing.csv")
    with pytest.raises(ValidationFailed, match="not a multiple"):
        IntervalHierarchy(widths=(5, 12))
    with pytest.raises(ValidationFailed, match="unknown built-in hierarchy 'zip'"):
        builtin_hierarchy("zip")
    with pytest.raises(ValidationFailed, match=r"levels 0\.\.4"):
        DateHierarchy().level_index("week")


def test_risk_report_before_and_after_generalisation() -> None:
    raw = risk_report(TABLE, ["zip", "age"])
    assert raw.records == 9 and raw.classes == 9
    assert raw.prosecutor_risk_max == 1.0 and raw.prosecutor_risk_avg == 1.0
    assert raw.share_unique == 1.0
    assert raw.class_size_distribution["1"] == 9
    assert raw.information_loss["loss_metric"] == 0.0
    ages = IntervalHierarchy(widths=(10, 20), lower=0, upper=100, name="age")
    zips = CsvHierarchy.from_csv("47677;4767*;*\n47605;476**;*\n47905;479**;*\n", name="zip")
    coarse = risk_report(
        TABLE, ["zip", "age"], hierarchies={"zip": zips, "age": ages}, levels={"age": 3}
    )
    assert coarse.classes == 3 and coarse.smallest_class == 3
    assert coarse.prosecutor_risk_max == pytest.approx(1 / 3)
    assert coarse.share_unique == 0.0
    assert coarse.information_loss["precision"] == pytest.approx((0 + 1) / 2)
    assert coarse.information_loss["loss_metric"] == pytest.approx(0.5)  # age: all 9 -> 8/8
    suppressed = risk_report(
        TABLE, ["zip", "age"], hierarchies={"age": ages}, levels={"age": 1}, k=2
    )
    assert suppressed.suppressed_records == 1  # 52 is alone in its decade in 47905
    assert suppressed.classes == 3 and suppressed.smallest_class == 2
    with pytest.raises(ValidationFailed, match="levels names 'salary'"):
        risk_report(TABLE, ["zip"], levels={"salary": 1})
