"""``datastore_search`` input → a ``RowQuery`` for the file engine, and rows → CKAN records.

CKAN's DataStore adds an ``_id`` column (1-based row number) and names column types after
PostgreSQL (text, int, float, numeric, date, timestamp, bool); filters and sort may name any
column including ``_id``. Values arrive as JSON or as text from query strings, so filter
values are converted to the column's type here, with a message naming the column when they
do not fit.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
from collections.abc import Mapping, Sequence
from typing import Any

from citybase.datahub.types import ColumnSchema, ColumnType, RowFilter
from citybase.errors import ValidationFailed
from citybase.opendata.ckan_params import Direction, get_json, get_str_list, parse_sort

ROW_ID = "_id"

CKAN_TYPES: dict[ColumnType, str] = {
    "string": "text",
    "integer": "int",
    "float": "float",
    "decimal": "numeric",
    "boolean": "bool",
    "date": "date",
    "timestamp": "timestamp",
    "binary": "text",
}

_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}


def ckan_fields(
    columns: Sequence[ColumnSchema], selected: Sequence[str] | None
) -> list[dict[str, str]]:
    """CKAN ``fields``: ``_id`` first, then columns in file order (or the requested order)."""
    types = {c.name: CKAN_TYPES[c.type] for c in columns}
    types[ROW_ID] = "int"
    names = list(selected) if selected else [ROW_ID, *(c.name for c in columns)]
    return [{"id": name, "type": types[name]} for name in names]


def coerce_value(value: Any, ctype: ColumnType, column: str, param: str) -> Any:
    """One filter value in the column's own type."""
    if value is None:
        return None

    def bad(expected: str) -> ValidationFailed:
        return ValidationFailed(
            f"{param}: column '{column}' holds {expected}; {value!r} is not one.", field=param
        )

    if isinstance(value, dict | list):
        raise bad("single values")
    if ctype == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)
    if ctype == "integer":
        if isinstance(value, bool):
            raise bad("whole numbers")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad("whole numbers") from None
    if ctype in ("float", "decimal"):
        if isinstance(value, bool):
            raise bad("numbers")
        try:
            number = float(value) if ctype == "float" else decimal.Decimal(str(value).strip())
        except (ValueError, decimal.InvalidOperation):
            raise bad("numbers") from None
        if isinstance(number, float) and not math.isfinite(number):
            raise bad("finite numbers")
        return number
    if ctype == "boolean":
        if isinstance(value, bool):
            return value
        low = str(value).strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise bad("true or false")
    if ctype == "date":
        try:
            return dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise bad("dates (YYYY-MM-DD)") from None
    if ctype == "timestamp":
        text = str(value).strip()
        try:
            return dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise bad("timestamps (YYYY-MM-DDTHH:MM:SS)") from None
    raise bad(f"{ctype} values that cannot be filtered")


def parse_filters(
    raw: Any, columns: Mapping[str, ColumnType], *, param: str = "filters"
) -> list[RowFilter]:
    """``{"col": value}`` or ``{"col": [v1, v2]}`` → equality / membership filters."""
    if raw is None or raw == "":
        return []
    if not isinstance(raw, dict):
        raise ValidationFailed(
            f'{param} must be a JSON object like {{"column": "value"}}, got {type(raw).__name__}.',
            field=param,
        )
    out: list[RowFilter] = []
    for name, value in raw.items():
        if name not in columns:
            known = ", ".join(columns)
            raise ValidationFailed(
                f'{param}: field "{name}" not in table. Columns: {known}.', field=param
            )
        ctype = columns[name]
        if isinstance(value, list):
            if not value:
                raise ValidationFailed(
                    f"{param}: the list of values for '{name}' is empty.", field=param
                )
            values = [coerce_value(v, ctype, name, param) for v in value]
            out.append(RowFilter(column=name, op="in", value=values))
        elif value is None:
            out.append(RowFilter(column=name, op="is_null"))
        else:
            out.append(
                RowFilter(column=name, op="eq", value=coerce_value(value, ctype, name, param))
            )
    return out


def parse_q(
    data: Mapping[str, Any], columns: Mapping[str, ColumnType]
) -> tuple[str | None, list[RowFilter]]:
    """``q`` as text searches every text column; as an object, the named columns only."""
    raw = get_json(data, "q")
    if raw is None or raw == "":
        return None, []
    if isinstance(raw, str):
        return raw, []
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw), []
    if isinstance(raw, dict):
        out: list[RowFilter] = []
        for name, text in raw.items():
            if name not in columns:
                known = ", ".join(columns)
                raise ValidationFailed(
                    f'q: field "{name}" not in table. Columns: {known}.', field="q"
                )
            if not isinstance(text, str | int | float) or isinstance(text, bool):
                raise ValidationFailed(f"q: the search text for '{name}' must be text.", field="q")
            out.append(RowFilter(column=name, op="contains", value=str(text)))
        return None, out
    raise ValidationFailed("q must be text or an object of column → text.", field="q")


def parse_fields(data: Mapping[str, Any], columns: Mapping[str, ColumnType]) -> list[str] | None:
    names = get_str_list(data, "fields")
    if not names:
        return None
    known = {ROW_ID, *columns}
    for name in names:
        if name not in known:
            raise ValidationFailed(
                f'fields: field "{name}" not in table. Columns: {", ".join([ROW_ID, *columns])}.',
                field="fields",
            )
    if len(set(names)) != len(names):
        raise ValidationFailed("fields: a column is named twice.", field="fields")
    return names


def parse_datastore_sort(
    data: Mapping[str, Any], columns: Mapping[str, ColumnType]
) -> list[tuple[str, Direction]]:
    raw = data.get("sort")
    if raw is None or raw == "":
        return []
    if isinstance(raw, list):
        if not all(isinstance(item, str) for item in raw):
            raise ValidationFailed("sort must be text like 'column desc, other asc'.", field="sort")
        raw = ", ".join(raw)
    if not isinstance(raw, str):
        raise ValidationFailed("sort must be text like 'column desc, other asc'.", field="sort")
    return parse_sort(raw, param="sort", allowed=[ROW_ID, *columns])


def needs_conversion(ctype: ColumnType) -> bool:
    """Whether cells of this type need ``record_value`` (text, integers and booleans are
    already JSON; skipping them keeps a 100-row page cheap)."""
    return ctype not in ("string", "integer", "boolean")


def record_value(value: Any) -> Any:
    """A cell as JSON the way CKAN's DataStore returns it."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
