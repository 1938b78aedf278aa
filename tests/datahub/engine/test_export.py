"""Exports: formula injection neutralised, numbers untouched, encodings, filters applied."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from citybase.datahub.export import write_csv, write_json, write_parquet
from citybase.datahub.types import RowFilter, RowQuery
from citybase.errors import ValidationFailed

CELLS = [
    '=HYPERLINK("http://x")',
    "+86 138 0000 0000",
    "-2+3",
    "@SUM(A1:A9)",
    "\tlead tab",
    "\rlead cr",
    "-12.5",
    "+7",
    "plain",
    "a=b",
    None,
]


@pytest.fixture
def table(work: Path) -> Path:
    path = work / "out" / "cells.parquet"
    pq.write_table(
        pa.table(
            {
                "text": pa.array(CELLS, pa.string()),
                "amount": pa.array([-5, -1, 0, 1, 2, 3, 4, 5, 6, 7, -8], pa.int64()),
                "money": pa.array([Decimal("-1.50")] * 11, pa.decimal128(10, 2)),
                "day": pa.array([dt.date(2024, 1, 2)] * 11, pa.date32()),
            }
        ),
        path,
    )
    return path


def read_csv_bytes(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_csv_neutralises_formulas_but_not_numbers(table: Path) -> None:
    out = io.BytesIO()
    assert write_csv(table, out) == 11
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    rows = read_csv_bytes(data, "utf-8-sig")
    assert rows[0] == ["text", "amount", "money", "day"]
    texts = [r[0] for r in rows[1:]]
    assert texts == [
        '\'=HYPERLINK("http://x")',
        "'+86 138 0000 0000",
        "'-2+3",
        "'@SUM(A1:A9)",
        "'\tlead tab",
        "'\rlead cr",
        "-12.5",
        "+7",
        "plain",
        "a=b",
        "",
    ]
    assert [r[1] for r in rows[1:]][:2] == ["-5", "-1"]  # negative numbers untouched
    assert rows[1][2] == "-1.50" and rows[1][3] == "2024-01-02"


def test_csv_export_applies_the_query_but_not_paging(table: Path, work: Path) -> None:
    target = work / "out" / "sub.csv"
    query = RowQuery(
        columns=["amount", "text"],
        filters=[RowFilter(column="amount", op="ge", value=3)],
        sort=[("amount", "desc")],
        limit=1,
        offset=1,
    )
    assert write_csv(table, target, query, encoding="utf-8") == 5
    rows = read_csv_bytes(target.read_bytes(), "utf-8")
    assert rows == [
        ["amount", "text"],
        ["7", "a=b"],
        ["6", "plain"],
        ["5", "+7"],
        ["4", "-12.5"],
        ["3", "'\rlead cr"],
    ]


def test_gbk_csv_and_characters_gbk_lacks(work: Path) -> None:
    path = work / "out" / "names.parquet"
    pq.write_table(pa.table({"姓名": ["张三", "李四"]}), path)
    out = io.BytesIO()
    write_csv(path, out, encoding="gbk")
    assert out.getvalue() == "姓名\n张三\n李四\n".encode("gbk")
    pq.write_table(pa.table({"姓名": ["张三", "吉𠮷", "🙂"]}), path)
    with pytest.raises(ValidationFailed) as caught:
        write_csv(path, io.BytesIO(), encoding="gbk")
    assert "line 3" in caught.value.message and "U+20BB7" in caught.value.message
    with pytest.raises(ValidationFailed):
        write_csv(path, io.BytesIO(), encoding="latin-1")  # type: ignore[arg-type]


def test_json_array_and_lines(table: Path) -> None:
    out = io.BytesIO()
    q = RowQuery(columns=["text", "amount", "day"], filters=[RowFilter(column="amount", value=-5)])
    assert write_json(table, out, q) == 1
    assert json.loads(out.getvalue()) == [
        {"text": '=HYPERLINK("http://x")', "amount": -5, "day": "2024-01-02"}
    ]
    lines = io.BytesIO()
    assert write_json(table, lines, RowQuery(columns=["amount"]), lines=True) == 11
    assert [json.loads(x)["amount"] for x in lines.getvalue().splitlines()][:3] == [-5, -1, 0]


def test_parquet_keeps_types(table: Path, work: Path) -> None:
    target = work / "out" / "copy.parquet"
    assert write_parquet(table, target, RowQuery(sort=[("amount", "asc")])) == 11
    back = pq.read_table(target)
    assert back.schema.field("money").type == pa.decimal128(10, 2)
    assert back.column("amount").to_pylist()[0] == -8
    assert back.column("text").to_pylist()[0] is None  # exports never alter values
