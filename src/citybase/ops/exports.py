"""Indicator tables as CSV (UTF-8 with BOM, so Excel opens Chinese headers) or XLSX."""

from __future__ import annotations

import csv
import io

import openpyxl

from citybase.ops.indicators import COLUMNS
from citybase.ops.schemas import IndicatorRow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(rows: list[IndicatorRow]) -> list[list[object]]:
    header: list[object] = [zh for _, zh, _ in COLUMNS]
    body = [[getattr(r, key) for key, _, _ in COLUMNS] for r in rows]
    return [header, *body]


def render(rows: list[IndicatorRow], fmt: str) -> tuple[bytes, str]:
    table = _rows(rows)
    if fmt == "csv":
        buf = io.StringIO()
        csv.writer(buf).writerows(table)
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "指标"
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), XLSX
