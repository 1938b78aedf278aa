"""The shipped division and area-code reference data."""

from __future__ import annotations

import numpy as np

from citybase.identifiers import (
    area_codes,
    areas_in_prefecture,
    is_known_area_code,
    landline_area_codes,
    lookup_area,
)
from citybase.identifiers.areacodes import area_codes_known_array


def test_data_is_complete_and_well_formed() -> None:
    codes = area_codes()
    assert len(codes) > 3300
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert sum(a.status == "current" for a in codes.values()) > 2800
    provinces = {a.province for a in codes.values() if a.status == "current"}
    assert len(provinces) == 31  # mainland provinces, regions and municipalities


def test_lookups() -> None:
    nanjing = [a.name for a in areas_in_prefecture("3201")]
    assert nanjing[:4] == ["玄武区", "秦淮区", "建邺区", "鼓楼区"]
    area = lookup_area("320102")
    assert area is not None and area.full_name == "江苏省南京市玄武区"
    beijing = lookup_area("110105")
    assert beijing is not None and beijing.full_name == "北京市朝阳区"
    assert is_known_area_code("810000")  # Hong Kong residents' residence permits
    assert not is_known_area_code("320100")


def test_vectorised_membership_matches_lookup() -> None:
    probe = np.array([110105, 320102, 999999, 0, 110100, 830000], dtype=np.int64)
    assert area_codes_known_array(probe).tolist() == [is_known_area_code(f"{c:06d}") for c in probe]


def test_landline_codes() -> None:
    codes = landline_area_codes()
    assert codes["025"].city == "南京" and codes["0512"].city == "苏州"
    assert all(c.startswith("0") and len(c) in (3, 4) for c in codes)
