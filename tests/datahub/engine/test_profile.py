"""Column profiles against hand-counted expectations; masking; schema drift."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from citybase.datahub.profile import EXACT_ROWS, profile_parquet, schema_drift
from citybase.datahub.types import ColumnSchema, TopValue

from .helpers import load, write_text


def test_small_file_profile_is_exact(work: Path) -> None:
    text = (
        "区,人口,登记日期,身份证号\n"
        "玄武区,10,2024-01-01,110101199003071234\n"
        "秦淮区,20,2024-01-03,110101199003071235\n"
        "玄武区,,2024-01-02,\n"
        "建邺区,40,2024-01-02,110101199003071236\n"
        "玄武区,10,,110101199003071237\n"
    )
    source = write_text(work / "src" / "p.csv", text)
    load(source)
    profiles = {
        p.name: p
        for p in profile_parquet(work / "out" / "p.parquet", top_n=2, mask_columns={"身份证号"})
    }
    district = profiles["区"]
    assert (district.type, district.null_share, district.distinct_count) == ("string", 0.0, 3)
    assert district.distinct_exact
    assert district.top_values == [
        TopValue(value="玄武区", count=3),
        TopValue(value="建邺区", count=1),
    ]  # ties: smallest first
    assert (district.min, district.max) == ("建邺区", "秦淮区")
    people = profiles["人口"]
    assert people.null_share == 0.2 and people.distinct_count == 3
    assert (people.min, people.max) == (10, 40)
    assert people.top_values[0] == TopValue(value=10, count=2)
    day = profiles["登记日期"]
    assert (day.min, day.max) == (dt.date(2024, 1, 1), dt.date(2024, 1, 3))
    masked = profiles["身份证号"]
    assert masked.distinct_count == 4 and masked.null_share == 0.2
    assert masked.min is None and masked.max is None and masked.top_values == []


def test_all_distinct_column_has_no_top_values(work: Path) -> None:
    path = work / "out" / "u.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "flag": [True, True, None]}), path)
    profiles = {p.name: p for p in profile_parquet(path)}
    assert profiles["id"].top_values == [] and profiles["id"].distinct_count == 3
    assert profiles["flag"].top_values == [TopValue(value=True, count=2)]
    assert profiles["flag"].min is None  # no range for booleans


def test_empty_column(work: Path) -> None:
    path = work / "out" / "e.parquet"
    pq.write_table(pa.table({"note": pa.array([None, None], pa.string())}), path)
    (note,) = profile_parquet(path)
    assert note.null_share == 1.0 and note.distinct_count == 0 and note.top_values == []


def test_large_file_estimates_only_near_unique_columns(work: Path) -> None:
    n = EXACT_ROWS + 20_000
    path = work / "out" / "big.parquet"
    pq.write_table(
        pa.table(
            {
                "serial": pa.array(range(n), pa.int64()),
                "district": pa.array([f"区{i % 12}" for i in range(n)]),
            }
        ),
        path,
    )
    profiles = {p.name: p for p in profile_parquet(path, top_n=3)}
    serial, district = profiles["serial"], profiles["district"]
    assert not serial.distinct_exact and serial.top_values == []
    assert abs(serial.distinct_count - n) / n < 0.05  # HyperLogLog estimate
    assert district.distinct_exact and district.distinct_count == 12
    assert [t.count for t in district.top_values] == [10_000] * 3


def test_schema_drift() -> None:
    old = [
        ColumnSchema(name="a", type="integer"),
        ColumnSchema(name="b", type="string"),
        ColumnSchema(name="c", type="date"),
    ]
    new = [
        ColumnSchema(name="a", type="float"),
        ColumnSchema(name="c", type="date"),
        ColumnSchema(name="d", type="boolean"),
    ]
    drift = schema_drift(old, new)
    assert drift.added == [ColumnSchema(name="d", type="boolean")]
    assert drift.removed == [ColumnSchema(name="b", type="string")]
    assert drift.type_changed == [("a", "integer", "float")]
    assert drift.any
    assert not schema_drift(old, old).any
