"""The indicator framework: the shipped default, and every way a framework file can be wrong."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from citybase.assess.compiled import CompiledFramework
from citybase.assess.framework import ELEMENTS, Framework, load_framework, parse_framework
from citybase.errors import ValidationFailed
from tests.assess.builders import raw_default_framework


def _indicator(raw: dict[str, Any], ind_id: str) -> dict[str, Any]:
    return next(i for i in raw["indicators"] if i["id"] == ind_id)


def test_default_framework_shape(fw: Framework) -> None:
    assert 35 <= len(fw.indicators) <= 50
    per_element = Counter(ind.element for ind in fw.indicators)
    assert set(per_element) == set(ELEMENTS)
    assert min(per_element.values()) >= 3  # the 2/3 rule is meaningful everywhere
    schemes = {s.scheme for ind in fw.indicators for s in ind.sources}
    assert {"iso37122", "u4ssc", "gbt33356", "custom"} <= schemes
    assert any(ind.goalposts.policy for ind in fw.indicators)
    assert any(not ind.goalposts.policy for ind in fw.indicators)
    policy = [ind for ind in fw.indicators if ind.goalposts.policy]
    assert all(ind.goalposts.basis for ind in policy), "policy goalposts must say why"
    assert {ind.domain for ind in fw.indicators} >= {"common", "government", "governance"}
    assert fw.axes["B"].elements == ["business", "operations"]
    assert fw.axes["T"].elements == ["data", "technology", "security"]
    assert fw.axes["E"].elements == ["culture", "mechanism", "ecosystem"]


def test_issue_examples_are_in_the_default(fw: Framework) -> None:
    ids = {ind.id for ind in fw.indicators}
    for wanted in (
        "services_online_share",  # share of city services requestable online
        "hotline_response_hours",  # 12345 response time
        "fixed_broadband_share",  # households with broadband
        "open_datasets_share",  # open datasets published
        "data_graded_share",  # data assets classified and graded
        "civil_servant_training_share",  # digital-skills training of civil servants
        "rd_spending_gdp",  # R&D spending
    ):
        assert wanted in ids


def test_compiled_order_groups_elements_by_axis(cf: CompiledFramework) -> None:
    assert cf.element_ids[:2] == ("business", "operations")
    assert list(cf.axis_of_element) == [0, 0, 1, 1, 1, 2, 2, 2]
    assert list(cf.element_of) == sorted(cf.element_of)
    for k in range(cf.n_elements):
        assert abs(cf.default_indicator_weights[cf.element_of == k].sum() - 1) < 1e-12


def _fails(raw: dict[str, Any]) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        parse_framework(raw, origin="my.yaml")
    return info.value


def test_equal_goalposts_name_the_indicator() -> None:
    raw = raw_default_framework()
    _indicator(raw, "gov_cloud_share")["goalposts"].update(lower=50, upper=50)
    err = _fails(raw)
    assert "gov_cloud_share" in err.message
    assert "L and U are both 50" in err.message
    assert err.field == "gov_cloud_share"


def test_reversed_goalposts_point_to_direction() -> None:
    raw = raw_default_framework()
    _indicator(raw, "hotline_response_hours")["goalposts"].update(lower=72, upper=1)
    err = _fails(raw)
    assert "hotline_response_hours" in err.message and "direction: lower" in err.message


def test_indicator_in_two_elements_as_list() -> None:
    raw = raw_default_framework()
    _indicator(raw, "data_graded_share")["element"] = ["data", "security"]
    err = _fails(raw)
    assert "'data_graded_share' is in two elements (data, security)" in err.message


def test_indicator_in_two_elements_as_duplicate() -> None:
    raw = raw_default_framework()
    dup = dict(_indicator(raw, "data_graded_share"), element="security")
    raw["indicators"].append(dup)
    err = _fails(raw)
    assert "'data_graded_share' is in two elements (data and security)" in err.message


def test_duplicate_id_same_element() -> None:
    raw = raw_default_framework()
    raw["indicators"].append(dict(_indicator(raw, "data_graded_share")))
    assert "listed twice" in _fails(raw).message


def test_unknown_element_unit_domain_phase_all_reported() -> None:
    raw = raw_default_framework()
    _indicator(raw, "gov_cloud_share")["element"] = "cloud"
    _indicator(raw, "school_wifi_share")["unit"] = "percent-ish"
    _indicator(raw, "ehr_population_share")["domain"] = "hospitals"
    _indicator(raw, "rd_spending_gdp")["phases"] = ["someday"]
    msg = _fails(raw).message
    assert "indicator 'gov_cloud_share': unknown element 'cloud'" in msg
    assert "indicator 'school_wifi_share': unknown unit 'percent-ish'" in msg
    assert "indicator 'ehr_population_share': unknown domain 'hospitals'" in msg
    assert "indicator 'rd_spending_gdp': unknown phase 'someday'" in msg


def test_goalpost_outside_unit_range() -> None:
    raw = raw_default_framework()
    _indicator(raw, "gov_cloud_share")["goalposts"]["upper"] = 120
    assert "goalpost U = 120.0 is outside the range of unit '%'" in _fails(raw).message


def test_wrong_type_names_indicator_and_field() -> None:
    raw = raw_default_framework()
    _indicator(raw, "gov_cloud_share")["goalposts"]["lower"] = "zero"
    err = _fails(raw)
    assert "indicator 'gov_cloud_share' goalposts.lower" in err.message
    assert err.field == "gov_cloud_share"


def test_axis_mapping_errors() -> None:
    raw = raw_default_framework()
    raw["axes"]["B"]["elements"] = ["business", "operations", "data"]
    assert "'data' is mapped to two axes (B and T)" in _fails(raw).message
    raw = raw_default_framework()
    raw["axes"]["E"]["elements"] = ["culture", "mechanism"]
    assert "not mapped to any axis: ecosystem" in _fails(raw).message


def test_element_without_indicators() -> None:
    raw = raw_default_framework()
    raw["indicators"] = [i for i in raw["indicators"] if i["element"] != "culture"]
    assert "element 'culture' has no indicators" in _fails(raw).message


def test_phase_thresholds_must_increase() -> None:
    raw = raw_default_framework()
    raw["phases"][1]["threshold"] = 0.3
    assert "thresholds must increase" in _fails(raw).message


def test_configurable_axis_mapping(tmp_path: Path) -> None:
    raw = raw_default_framework()
    raw["axes"]["B"]["elements"] = ["business"]
    raw["axes"]["E"]["elements"] = ["culture", "mechanism", "ecosystem", "operations"]
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    fw = load_framework(path)
    assert fw.axes["E"].elements[-1] == "operations"


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="not found"):
        load_framework(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("indicators: [unclosed", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        load_framework(bad)


def test_unknown_indicator_suggests_close_id(fw: Framework) -> None:
    with pytest.raises(ValidationFailed) as info:
        fw.indicator("services_online_shares")
    assert "Did you mean 'services_online_share'" in info.value.message
