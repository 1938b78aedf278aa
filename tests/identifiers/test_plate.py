"""GA 36 vehicle plates."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from citybase.errors import ValidationFailed
from citybase.identifiers import generate_plate, is_valid_plate, normalise_plate, validate_plate
from tests.identifiers.strategies import anything, plates


@pytest.mark.parametrize(
    ("text", "kind", "energy"),
    [
        ("苏A12345", "ordinary", None),
        ("苏A·8K3M2", "ordinary", None),
        ("京 N 2B8C3", "ordinary", None),
        ("京AD12345", "new_energy_small", "pure_electric"),
        ("沪AFK1234", "new_energy_small", "other_new_energy"),
        ("粤B12345D", "new_energy_large", "pure_electric"),
        ("浙A03456F", "new_energy_large", "other_new_energy"),
        ("苏A1234学", "coach", None),
        ("鲁B1234挂", "trailer", None),
        ("京A0001警", "police", None),
        ("沪A1234领", "consulate", None),
        ("粤Z1A34港", "hong_kong", None),
        ("粤Z1234澳", "macao", None),
        ("使014578", "embassy", None),
        ("苏a12345", "ordinary", None),
    ],
)
def test_plate_kinds(text: str, kind: str, energy: str | None) -> None:
    info = validate_plate(text)
    assert info.kind == kind and info.energy == energy


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is empty"),
        ("A苏12345", "province abbreviation"),
        ("苏A1234", "must have 7 characters"),
        ("苏I12345", "office letter"),
        ("苏A1O345", "I and O are never used"),
        ("苏AD1234A", "8-character new-energy plate"),
        ("苏A12#45", "characters 3-7"),
        ("苏A1234港", "characters 3-7"),  # 港 plates are 粤Z only
    ],
)
def test_each_problem_is_named(text: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_plate(text)
    assert reason in caught.value.message and caught.value.field == "plate"


def test_generation_matches_requested_kind() -> None:
    rng = np.random.default_rng(7)
    assert validate_plate(generate_plate(rng, "苏", "A")).kind == "ordinary"
    small = validate_plate(generate_plate(rng, "苏", "A", True))
    assert small.kind == "new_energy_small" and small.energy == "pure_electric"
    large = validate_plate(generate_plate(rng, "苏", "A", True, large=True, pure_electric=False))
    assert large.kind == "new_energy_large" and large.energy == "other_new_energy"
    assert validate_plate(generate_plate(rng, "苏", "A", suffix="学")).kind == "coach"
    with pytest.raises(ValidationFailed, match="province"):
        generate_plate(rng, "港", "A")
    with pytest.raises(ValidationFailed, match="city_letter"):
        generate_plate(rng, "苏", "O")


@given(plates())
def test_every_generated_plate_validates(plate: str) -> None:
    assert validate_plate(plate).plate == plate


@given(plates(), st.sampled_from(["·", " ", "-", "."]))
def test_separators_are_ignored(plate: str, sep: str) -> None:
    assert normalise_plate(plate[:2] + sep + plate[2:]) == plate


@given(st.text())
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalise_plate(text)
    assert normalise_plate(once) == once


@given(anything)
def test_parser_raises_only_validation_failed(value: object) -> None:
    assert isinstance(is_valid_plate(value), bool)
    with contextlib.suppress(ValidationFailed):
        validate_plate(value)  # type: ignore[arg-type]
