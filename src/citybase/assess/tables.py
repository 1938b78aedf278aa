"""Values in tables: CSV (UTF-8, optional BOM) or XLSX, long or wide, one or many cities."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citybase.errors import ValidationFailed


@dataclass
class RawCity:
    code: str
    name: str
    values: dict[str, tuple[Any, str]] = field(default_factory=dict)  # id → (raw, where)


def read_table(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV (UTF-8, optional BOM) or XLSX (first sheet) file, keyed by header."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise ValidationFailed(f"Input file not found: {path}", field="input")
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [
                {str(k).strip().lower(): v for k, v in row.items() if k is not None}
                for row in csv.DictReader(fh)
            ]
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = list(book.worksheets[0].iter_rows(values_only=True))
        finally:
            book.close()
        if not rows:
            return []
        header = [str(h).strip().lower() if h is not None else "" for h in rows[0]]
        return [
            {h: v for h, v in zip(header, row, strict=False) if h}
            for row in rows[1:]
            if any(v is not None for v in row)
        ]
    raise ValidationFailed(
        f"{path}: unsupported file type '{suffix}'; use .yaml, .csv or .xlsx.", field="input"
    )


def table_cities(rows: list[dict[str, Any]], origin: str) -> dict[str, RawCity]:
    """Cities from a long table (indicator, value[, unit, note, city, city_name]) or a wide
    one (city[, city_name], then one column per indicator id)."""
    if not rows:
        raise ValidationFailed(f"{origin}: the table has no rows.", field="input")
    header = set(rows[0])
    id_col = "indicator" if "indicator" in header else "indicator_id"
    city_col = "city" if "city" in header else ("city_code" if "city_code" in header else None)
    cities: dict[str, RawCity] = {}
    if id_col in header and "value" in header:
        for r, row in enumerate(rows, start=2):
            code = str(row.get(city_col) or "").strip() if city_col else ""
            city = cities.setdefault(code, RawCity(code, str(row.get("city_name") or "")))
            ind_id = str(row.get(id_col) or "").strip()
            where = f"{origin} row {r}"
            if not ind_id:
                continue
            if ind_id in city.values:
                raise ValidationFailed(
                    f"{where}: indicator '{ind_id}' is given twice for city '{code or '-'}' "
                    f"(also {city.values[ind_id][1]}).",
                    field=ind_id,
                )
            value: Any = row.get("value")
            if row.get("unit") not in (None, "") or row.get("note") not in (None, ""):
                value = {"value": value, "unit": row.get("unit") or None, "note": row.get("note")}
            city.values[ind_id] = (value, where)
        return cities
    if city_col is None:
        raise ValidationFailed(
            f"{origin}: expected either columns 'indicator' and 'value' (one row per value) or "
            "a 'city' column followed by one column per indicator id.",
            field="input",
        )
    skip = {city_col, "city_name", "name", "period"}
    for r, row in enumerate(rows, start=2):
        code = str(row.get(city_col) or "").strip()
        if not code:
            continue
        if code in cities:
            raise ValidationFailed(f"{origin} row {r}: city '{code}' appears twice.", field=code)
        city = RawCity(code, str(row.get("city_name") or row.get("name") or ""))
        for col, value in row.items():
            if col not in skip and col:
                city.values[col] = (value, f"{origin} row {r}, column {col}")
        cities[code] = city
    return cities
