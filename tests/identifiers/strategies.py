"""Hypothesis strategies for valid identifiers, built from the real reference data."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import strategies as st

from citybase.identifiers import (
    PROVINCE_ABBREVIATIONS,
    area_codes,
    generate_id_number,
    generate_plate,
    generate_uscc,
)
from citybase.identifiers.plate import OFFICE_LETTERS
from citybase.identifiers.uscc import authorities

AREA_CODES = sorted(area_codes())
USCC_KINDS = sorted(a + c for a, auth in authorities().items() for c in auth.categories)

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    return generate_id_number(
        np.random.default_rng(0),
        draw(st.sampled_from(AREA_CODES)),
        draw(st.dates(min_value=date(1880, 1, 1), max_value=date.today())),
        sequence=draw(st.integers(min_value=0, max_value=999)),
    )


@st.composite
def usccs(draw: st.DrawFn) -> str:
    return generate_uscc(
        np.random.default_rng(draw(seeds)),
        draw(st.sampled_from(AREA_CODES)),
        draw(st.sampled_from(USCC_KINDS)),
    )


@st.composite
def plates(draw: st.DrawFn) -> str:
    rng = np.random.default_rng(draw(seeds))
    province = draw(st.sampled_from(PROVINCE_ABBREVIATIONS))
    letter = draw(st.sampled_from(OFFICE_LETTERS))
    variant = draw(st.sampled_from(["fuel", "nev", "nev_large", "学", "挂", "警", "领"]))
    if variant == "fuel":
        return generate_plate(rng, province, letter)
    if variant.startswith("nev"):
        return generate_plate(
            rng,
            province,
            letter,
            True,
            large=variant == "nev_large",
            pure_electric=draw(st.booleans()),
        )
    return generate_plate(rng, province, letter, suffix=variant)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    second = draw(st.sampled_from("3456789"))
    rest = draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    return "1" + second + rest


anything = st.one_of(
    st.text(),
    st.text(alphabet="0123456789Xx -+()·苏A转", max_size=22),
    st.integers(),
    st.none(),
    st.binary(),
    st.floats(),
)
