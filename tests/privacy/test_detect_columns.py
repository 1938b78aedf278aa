"""Column-level PII detection on the demo city's registries and on look-alike negatives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.demo.generate import generate_geography, generate_registries
from citybase.errors import ValidationFailed
from citybase.identifiers import (
    generate_id_number,
    generate_mobile_array,
    generate_plate,
    generate_uscc,
    id_number_check_digit,
    is_valid_id_number,
    luhn_check_digit,
    luhn_valid,
)
from citybase.privacy.column_checks import luhn_array
from citybase.privacy.detect_columns import scan_table
from citybase.privacy.policy import Grade

N = 400


@pytest.fixture(scope="module")
def registries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("registries")
    return generate_registries(
        11, generate_geography(11), out, residents=1500, enterprises=300, vehicles=400
    )


def _types(path: Path) -> dict[str, str | None]:
    return {c.name: c.pii_type for c in scan_table(path).columns}


def test_demo_residents_columns_are_typed_and_graded(registries: dict[str, Path]) -> None:
    result = scan_table(registries["residents"])
    by_name = {c.name: c for c in result.columns}
    assert by_name["id_number"].pii_type == "CN_ID_CARD"
    assert by_name["id_number"].hit_ratio == 1.0 and by_name["id_number"].confidence > 0.95
    assert by_name["id_number"].sensitive and by_name["id_number"].grade == Grade("general", 4)
    assert by_name["mobile"].pii_type == "CN_MOBILE"
    assert by_name["name"].pii_type == "PERSON_NAME"
    assert by_name["address"].pii_type == "ADDRESS"
    assert by_name["hukou_address"].pii_type == "ADDRESS"
    assert by_name["lon"].pii_type == by_name["lat"].pii_type == "GPS_COORDINATE"
    for plain in ("person_id", "sex", "birth_date", "grid_code", "marital_status", "education"):
        assert by_name[plain].pii_type is None, plain
        assert by_name[plain].grade == Grade("general", 1)
    assert result.grade == Grade("general", 4)  # 就高从严
    assert result.rows_scanned == 1500


def test_demo_enterprises_and_vehicles(registries: dict[str, Path]) -> None:
    orgs = _types(registries["enterprises"])
    assert orgs["uscc"] == "CN_USCC"
    assert orgs["legal_representative"] == "PERSON_NAME"
    assert orgs["legal_rep_id_number"] == "CN_ID_CARD"
    assert orgs["name"] is None  # company names are not person names
    cars = _types(registries["vehicles"])
    assert cars["plate"] == "CN_PLATE"
    assert cars["owner_id_number"] == "CN_ID_CARD"
    assert cars["owner_uscc"] == "CN_USCC"
    assert cars["brand"] is None


def _ids(rng: np.random.Generator, n: int) -> list[str]:
    from datetime import date

    return [
        generate_id_number(rng, "320106", date(1950 + int(rng.integers(0, 60)), 5, 17))
        for _ in range(n)
    ]


def test_order_numbers_that_look_like_ids_are_not_id_cards() -> None:
    rng = np.random.default_rng(1)
    valid = _ids(rng, N)
    wrong_check = []
    for number in valid:  # same area and date, any other check character
        expected = id_number_check_digit(number[:17])
        wrong_check.append(number[:17] + ("1" if expected != "1" else "2"))
    random_digits = [str(x) for x in rng.integers(10**17, 10**18 - 1, size=N, dtype=np.int64)]
    table = pa.table({"order_no": wrong_check, "tracking": random_digits, "sfz": valid})
    result = {c.name: c for c in scan_table(table).columns}
    assert not any(is_valid_id_number(v) for v in wrong_check)
    assert result["order_no"].pii_type is None
    assert result["tracking"].pii_type is None
    assert result["sfz"].pii_type == "CN_ID_CARD"


def _bank_cards(rng: np.random.Generator, n: int) -> list[str]:
    out = []
    for _ in range(n):
        body = "622848" + "".join(str(d) for d in rng.integers(0, 10, size=12))
        out.append(body + luhn_check_digit(body))
    return out


def test_luhn_failing_tracking_numbers_are_not_bank_cards() -> None:
    rng = np.random.default_rng(2)
    cards = _bank_cards(rng, N)
    failing = [c[:-1] + str((int(c[-1]) + 1) % 10) for c in cards]
    tracking16 = [
        s
        for s in ("".join(map(str, rng.integers(0, 10, size=16))) for _ in range(3 * N))
        if not luhn_valid(s)
    ][:N]
    table = pa.table({"card": cards, "waybill": failing, "tracking": tracking16})
    result = {c.name: c for c in scan_table(table).columns}
    assert result["card"].pii_type == "BANK_CARD"
    assert result["card"].sensitive
    assert result["waybill"].pii_type is None
    assert result["tracking"].pii_type is None
    grouped = [f"{c[:4]} {c[4:8]} {c[8:12]} {c[12:16]} {c[16:]}" for c in cards[:50]]
    assert scan_table(pa.table({"x": grouped})).columns[0].pii_type == "BANK_CARD"


def test_vectorised_luhn_agrees_with_the_scalar_check() -> None:
    rng = np.random.default_rng(3)
    values = [
        "".join(map(str, rng.integers(0, 10, size=int(k)))) for k in rng.integers(12, 20, 500)
    ]
    assert luhn_array(np.array(values)).tolist() == [luhn_valid(v) for v in values]


def test_an_eleven_digit_integer_column_is_a_phone_only_when_its_name_says_so() -> None:
    rng = np.random.default_rng(4)
    mobiles = np.array([int(m) for m in generate_mobile_array(rng, N)], dtype=np.int64)
    counts = rng.integers(10**10, 10**11 - 1, size=N, dtype=np.int64)
    table = pa.table({"account_seq": mobiles, "readings": counts, "mobile": mobiles})
    result = {c.name: c for c in scan_table(table).columns}
    assert result["account_seq"].pii_type is None
    assert result["readings"].pii_type is None
    assert result["mobile"].pii_type == "CN_MOBILE"


def test_mobiles_with_country_code_spaces_and_dashes() -> None:
    rng = np.random.default_rng(5)
    raw = generate_mobile_array(rng, N).tolist()
    styles = [
        f"+86 {m[:3]} {m[3:7]} {m[7:]}"
        if i % 3 == 0
        else f"{m[:3]}-{m[3:7]}-{m[7:]}"
        if i % 3 == 1
        else f"86{m}"
        for i, m in enumerate(raw)
    ]
    column = scan_table(pa.table({"联系方式": styles})).columns[0]
    assert column.pii_type == "CN_MOBILE" and column.hit_ratio == 1.0


def test_uscc_starting_with_letters_plates_and_other_types() -> None:
    rng = np.random.default_rng(6)
    uscc = [generate_uscc(rng, "320106", kind) for kind in ("N2", "Y1", "91", "12") * (N // 4)]
    plates = [
        generate_plate(rng, "苏", "A", new_energy=bool(i % 2), large=i % 4 == 1) for i in range(N)
    ]
    assert {len(p) for p in plates} == {7, 8}
    table = pa.table(
        {
            "code": uscc,
            "hphm": plates,
            "contact": [f"user{i}@example.cn" for i in range(N)],
            "client": [f"10.{i % 256}.{(i * 7) % 256}.{(i * 13) % 256}" for i in range(N)],
            "office": [f"025-8{i:07d}" for i in range(N)],
            "doc": [f"E{i:08d}" for i in range(N)],
            "comment": ["已处理"] * N,
        }
    )
    got = {c.name: c.pii_type for c in scan_table(table).columns}
    assert got == {
        "code": "CN_USCC",
        "hphm": "CN_PLATE",
        "contact": "EMAIL",
        "client": "IP_ADDRESS",
        "office": "CN_LANDLINE",
        "doc": "PASSPORT",
        "comment": None,
    }


def test_files_csv_and_parquet_and_sampling(registries: dict[str, Path], tmp_path: Path) -> None:
    table = pq.read_table(registries["residents"]).select(["id_number", "mobile", "sex"])
    csv_path = tmp_path / "people.csv"
    pacsv.write_csv(table, csv_path)
    result = scan_table(csv_path, sample=200)
    assert result.rows_scanned == 200
    assert [c.pii_type for c in result.columns] == ["CN_ID_CARD", "CN_MOBILE", None]
    assert scan_table(table, sample=100).rows_scanned == 100
    assert scan_table(table, sample=10**9).rows_scanned == table.num_rows


def test_unreadable_and_unknown_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match=r"unknown format \.xlsx") as err:
        scan_table(tmp_path / "book.xlsx")
    assert err.value.field == "path"
    with pytest.raises(ValidationFailed, match="does not exist"):
        scan_table(tmp_path / "absent.parquet")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(ValidationFailed, match=r"cannot read broken\.parquet"):
        scan_table(broken)
    with pytest.raises(ValidationFailed, match="sample"):
        scan_table(pa.table({"a": ["x"]}), sample=0)
    with pytest.raises(ValidationFailed, match=r"pyarrow\.Table"):
        scan_table(42)  # type: ignore[arg-type]


def test_empty_and_null_columns_have_no_type() -> None:
    table = pa.table({"a": pa.array([None, None], pa.string()), "b": ["", " "]})
    assert [c.pii_type for c in scan_table(table).columns] == [None, None]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=24),
            st.sampled_from(["13912345678", "321203199602162370", "苏AD43445", "a@b.cn"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_any_text_column_scans_without_error(values: list[str | None]) -> None:
    column = scan_table(pa.table({"c": pa.array(values, pa.string())})).columns[0]
    assert 0.0 <= column.hit_ratio <= 1.0 and 0.0 <= column.confidence <= 1.0
    assert (column.pii_type is None) == (column.confidence == 0.0)
    assert column.grade.name == "general"
