"""Inputs: YAML, CSV and XLSX; units and types; every problem reported at once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from citybase.assess.assessment import assess, merge_live
from citybase.assess.framework import Framework
from citybase.assess.inputs import (
    AssessmentSpec,
    CityValues,
    ValueProblem,
    ValueRecord,
    coerce_value,
    load_request,
    request_from_spec,
)
from citybase.errors import ValidationFailed
from citybase.hookspecs import LiveIndicator
from tests.assess.builders import random_values


def _write_yaml(path: Path, data: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _spec(values: Mapping[str, object], **extra: object) -> AssessmentSpec:
    return AssessmentSpec.model_validate(
        {"city": {"code": "demo"}, "period": "2025", "values": values, "robustness": None, **extra}
    )


def test_coerce_accepts_units_strings_and_mappings(fw: Framework) -> None:
    hotline = fw.indicator("hotline_response_hours")
    assert coerce_value(fw, hotline, 2.5) == (2.5, None, "")
    assert coerce_value(fw, hotline, "90 min") == (1.5, "90 min", "")
    assert coerce_value(fw, hotline, {"value": 2, "unit": "天", "note": "年报"}) == (
        48.0,
        "2 day",
        "年报",
    )
    online = fw.indicator("services_online_share")
    assert coerce_value(fw, online, "85%")[0] == 85.0
    assert coerce_value(fw, online, {"value": 0.85, "unit": "share"})[0] == pytest.approx(85.0)
    cdo = fw.indicator("chief_data_officer")
    assert coerce_value(fw, cdo, True)[0] == 1.0 and coerce_value(fw, cdo, "否")[0] == 0.0
    assert coerce_value(fw, online, None)[0] is None and coerce_value(fw, online, " ")[0] is None


@pytest.mark.parametrize(
    ("ind", "raw", "expected"),
    [
        ("hotline_response_hours", "2.5 km", "unit 'km' is not known"),
        (
            "hotline_response_hours",
            {"value": 3, "unit": "%"},
            "is in % (ratio) but the indicator is measured in h (time)",
        ),
        ("services_online_share", "high", "'high' is not a number"),
        ("services_online_share", [85], "has type list"),
        ("services_online_share", True, "is true, but it is measured in %"),
        ("services_online_share", 185, "185 % is above the largest possible value 100"),
        ("services_online_share", {"value": 85, "unit": "share"}, "85 share is above"),
        ("hotline_response_hours", -2, "below the smallest possible 0"),
        ("chief_data_officer", 0.5, "not a yes/no value"),
        ("services_online_share", float("nan"), "not a finite number"),
        ("services_online_share", {"amount": 3}, "write a mapping as {value"),
    ],
)
def test_coerce_rejects_with_a_reason(fw: Framework, ind: str, raw: object, expected: str) -> None:
    with pytest.raises(ValueProblem) as info:
        coerce_value(fw, fw.indicator(ind), raw)
    assert expected in str(info.value)


@settings(max_examples=200, deadline=None)
@given(number=st.floats(0, 100, allow_nan=False), spaces=st.sampled_from(["", " ", "  "]))
def test_numeric_strings_round_trip(fw: Framework, number: float, spaces: str) -> None:
    online = fw.indicator("services_online_share")
    assert coerce_value(fw, online, f"{spaces}{number!r}{spaces}")[0] == pytest.approx(number)


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(st.text(max_size=20), st.floats(), st.integers(), st.booleans(), st.none()))
def test_any_raw_value_is_accepted_or_explained(fw: Framework, raw: object) -> None:
    online = fw.indicator("services_online_share")
    try:
        value, _, _ = coerce_value(fw, online, raw)
    except ValueProblem as exc:
        assert str(exc)
    else:
        assert value is None or 0 <= value <= 100


def test_all_problems_reported_together_and_nothing_computed(fw: Framework) -> None:
    values: dict[str, object] = dict(random_values(fw, 1))
    values["services_online_sharee"] = 50
    values["hotline_response_hours"] = "fast"
    values["gov_cloud_share"] = 140
    request = request_from_spec(_spec(values), base_dir=None, origin="city.yaml")
    with pytest.raises(ValidationFailed) as info:
        assess(request, framework=fw)
    msg = info.value.message
    assert msg.startswith("city.yaml: 3 problems in the input; nothing was computed")
    assert "values.services_online_sharee: Unknown indicator id 'services_online_sharee'" in msg
    assert "Did you mean 'services_online_share'" in msg
    assert "values.hotline_response_hours: indicator 'hotline_response_hours': 'fast'" in msg
    assert "values.gov_cloud_share: indicator 'gov_cloud_share': 140 % is above" in msg
    assert info.value.field == "values.gov_cloud_share"  # the first problem in input order


def test_yaml_request_with_values_and_peers_files(fw: Framework, tmp_path: Path) -> None:
    own = random_values(fw, 2)
    (tmp_path / "values.csv").write_text(
        "indicator,value,unit,note\n"
        + "".join(f"{k},{v},,\n" for k, v in own.items() if k != "hotline_response_hours")
        + "hotline_response_hours,120,min,12345 年报\n",
        encoding="utf-8",
    )
    ids = sorted(own)
    peers = [random_values(fw, 10 + i) for i in range(3)]
    (tmp_path / "peers.csv").write_text(
        "city,city_name,"
        + ",".join(ids)
        + "\n"
        + "".join(
            f"P{i},同类{i}," + ",".join(str(p[k]) for k in ids) + "\n" for i, p in enumerate(peers)
        ),
        encoding="utf-8",
    )
    path = _write_yaml(
        tmp_path / "req.yaml",
        {
            "city": {"code": "demo", "name": "示范市"},
            "period": "2025",
            "values_file": "values.csv",
            "peers_file": "peers.csv",
            "robustness": {"draws": 500},
        },
    )
    request = load_request(path)
    assert [p.code for p in request.peers] == ["P0", "P1", "P2"]
    result = assess(request, framework=fw)
    hotline = result["indicators"]["hotline_response_hours"]
    assert hotline["value"] == 2.0 and hotline["entered_as"] == "120 min"
    assert hotline["note"] == "12345 年报" and hotline["origin"] == "values.csv row 50"
    assert len(result["peers"]["cities"]) == 4
    assert set(result["robustness"]["cities"]) == {"demo", "P0", "P1", "P2"}


def test_xlsx_wide_table_needs_city_and_period(fw: Framework, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    ids = [ind.id for ind in fw.indicators]
    sheet.append(["city", "city_name", *ids])
    for i in range(2):
        vals = random_values(fw, 20 + i)
        sheet.append([f"C{i}", f"城市{i}", *[vals[k] for k in ids]])
    path = tmp_path / "cities.xlsx"
    book.save(path)
    with pytest.raises(
        ValidationFailed, match=r"holds 2 cities .* choose the one to assess with --city"
    ):
        load_request(path)
    with pytest.raises(ValidationFailed, match="--period"):
        load_request(path, city="C1")
    request = load_request(path, city="C1", period="2024")
    assert request.city.code == "C1" and request.city.name == "城市1"
    assert [p.code for p in request.peers] == ["C0"]
    assert request.spec.period == "2024"
    assert assess(request, framework=fw)["city"] == {"code": "C1", "name": "城市1"}


def test_xlsx_errors_name_row_and_column(fw: Framework, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["city", "services_online_share", "hotline_response_hours"])
    sheet.append(["C0", "most", 3])
    path = tmp_path / "one.xlsx"
    book.save(path)
    request = load_request(path, period="2025")
    with pytest.raises(ValidationFailed) as info:
        assess(request, framework=fw)
    assert "one.xlsx row 2, column services_online_share: indicator 'services_online_share'" in (
        info.value.message
    )


def test_long_csv_single_city_uses_file_stem(fw: Framework, tmp_path: Path) -> None:
    path = tmp_path / "shanghai_pudong.csv"
    path.write_text("indicator,value\nservices_online_share,88\n", encoding="utf-8")
    request = load_request(path, period="2025")
    assert request.city.code == "shanghai_pudong"


def test_table_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="expected either columns 'indicator' and 'value'"):
        load_request(path, period="2025")
    dup = tmp_path / "dup.csv"
    dup.write_text("indicator,value\nx,1\nx,2\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="row 3: indicator 'x' is given twice"):
        load_request(dup, period="2025")
    txt = tmp_path / "a.txt"
    txt.write_text("x", encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"unsupported file type '\.txt'"):
        load_request(txt)


def test_invalid_request_fields(tmp_path: Path) -> None:
    path = _write_yaml(tmp_path / "r.yaml", {"city": {"code": "demo"}, "period": "last year"})
    with pytest.raises(ValidationFailed, match="period: String should match pattern"):
        load_request(path)
    path = _write_yaml(
        tmp_path / "r2.yaml", {"city": {"code": "demo"}, "period": "2025", "weigths": {}}
    )
    with pytest.raises(ValidationFailed, match="weigths: Extra inputs are not permitted"):
        load_request(path)


def test_live_values_merge_and_say_which_is_which(fw: Framework) -> None:
    entered = {
        "services_online_share": ValueRecord(
            "services_online_share", 80.0, "%", "entered", "values"
        ),
        "gov_cloud_share": ValueRecord("gov_cloud_share", 40.0, "%", "entered", "values"),
    }
    live = [
        LiveIndicator("services_online_share", 0.9, "share", "services", "2026-01-01T00:00:00Z"),
        LiveIndicator("data_graded_share", 55.0, "%", "datahub", "2026-01-01T00:00:00Z"),
        LiveIndicator("not_in_framework", 1.0, "%", "ops", "2026-01-01T00:00:00Z"),
        LiveIndicator("hotline_response_hours", 5.0, "%", "ops", "2026-01-01T00:00:00Z"),
    ]
    city, notes = merge_live(fw, CityValues("demo", "", entered), live, "live")
    assert city.records["services_online_share"].value == pytest.approx(90.0)
    assert city.records["services_online_share"].source == "live"
    assert city.records["data_graded_share"].origin == "datahub"
    assert city.records["gov_cloud_share"].source == "entered"
    assert any("replaces the entered 80" in n for n in notes)
    assert any("'not_in_framework' from ops is not in framework" in n for n in notes)
    assert any("live value for 'hotline_response_hours' from ops rejected" in n for n in notes)
    kept, notes = merge_live(fw, CityValues("demo", "", entered), live[:1], "entered")
    assert kept.records["services_online_share"].value == 80.0
    assert "entered value 80 kept" in notes[0]


def test_live_request_without_platform_is_refused(fw: Framework) -> None:
    request = request_from_spec(_spec(random_values(fw, 3), live=True), base_dir=None, origin="x")
    with pytest.raises(ValidationFailed, match="live: true"):
        assess(request, framework=fw)
