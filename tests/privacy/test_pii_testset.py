"""Recall, precision and leaks on the second test set (hand-written + Faker zh_CN).

The floors are the levels reached when this set was built (see docs/privacy-detection.md);
a change that loses recall on any type fails here.
"""

from __future__ import annotations

import pytest

from tests.privacy.pii_testset import from_faker, handwritten, score

HANDWRITTEN_FLOOR = {
    "ADDRESS": 1.0, "BANK_CARD": 1.0, "CN_ID_CARD": 1.0, "CN_LANDLINE": 1.0, "CN_MOBILE": 1.0,
    "CN_PLATE": 1.0, "EMAIL": 1.0, "PERSON_NAME": 1.0,
}  # fmt: skip
FAKER_FLOOR = {
    "ADDRESS": 0.99, "BANK_CARD": 1.0, "CN_ID_CARD": 0.99, "CN_LANDLINE": 1.0, "CN_MOBILE": 1.0,
    "CN_PLATE": 1.0, "EMAIL": 1.0, "PERSON_NAME": 0.98,
}  # fmt: skip


def test_handwritten_set_every_type_and_nothing_readable() -> None:
    cases = handwritten()
    assert len(cases) >= 100
    result = score(cases)
    for kind, floor in HANDWRITTEN_FLOOR.items():
        assert result.recall[kind] >= floor, (kind, result.recall[kind])
    assert result.overall_precision >= 0.95
    assert result.readable == 0, result.readable_values


def test_faker_set_recall_per_type() -> None:
    pytest.importorskip("faker")
    result = score(from_faker(1000))
    for kind, floor in FAKER_FLOOR.items():
        assert result.recall[kind] >= floor, (kind, result.recall[kind])
    assert result.overall_precision >= 0.95
    assert result.readable <= 15, result.readable_values


def test_negatives_stay_untouched() -> None:
    negatives = [c for c in handwritten() if not c.gold]
    assert len(negatives) >= 15
    result = score(negatives)
    assert sum(result.precision.values()) == len(result.precision)  # no spans at all
