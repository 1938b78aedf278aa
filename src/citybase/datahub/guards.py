"""Load guards: a new version may not change what a dataset means without the steward saying so.

Two checks run on the staged file of a new version of an existing dataset, before anything
is written (a refused load leaves no file and no row):

- **type loss** — a column the current version holds as date, timestamp, integer, number
  or boolean arrives as text (or an integer column arrives as fractional numbers). The
  refusal names the values that broke the type: the first ``SAMPLE`` of them with their
  line in the file (``types.LineMap``) and how many there are. ``accept_schema`` loads it.
- **shrink** — the new version has fewer rows than the current one by more than
  ``CITYBASE_LOAD_SHRINK_CONFIRM_SHARE`` (default: half). ``confirm_shrink`` loads it.

"Fits the old type" is the engine's own test of a schema override (``typed.write_typed``),
widened for dates and times by the formats the CSV reader recognises.
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/parquet_scan() pieces.

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from citybase.datahub.duck import DUCK_TYPES, ROW_NUMBER, parquet_scan, quote_ident
from citybase.datahub.duck import thread_connection as _connection
from citybase.datahub.typed import INTEGER_TEXT
from citybase.datahub.types import ColumnSchema, ColumnType, LineMap
from citybase.errors import ValidationFailed

#: How many breaking values a refusal names (the count covers all of them).
SAMPLE = 10

_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d.%m.%Y", "%Y年%m月%d日"]
_TIME_FORMATS = [f"{d} %H:%M:%S" for d in _DATE_FORMATS[:3]] + [
    f"{d} %H:%M" for d in _DATE_FORMATS[:3]
]
_NUMERIC: frozenset[ColumnType] = frozenset({"float", "decimal"})


class BrokenValue(BaseModel):
    line: int
    value: Any


class TypeLoss(BaseModel):
    """One column that would lose its type, with the values that broke it."""

    column: str
    old_type: ColumnType
    new_type: ColumnType
    count: int
    values: list[BrokenValue] = Field(default_factory=list)
    line_label: str = "line"


class Shrink(BaseModel):
    previous_rows: int
    rows: int
    share: float  # the configured share that was exceeded


class SchemaChangeRefused(ValidationFailed):
    """A column of the current version would lose its type; nothing was written."""

    code = "schema_change_refused"

    def __init__(self, message: str, *, losses: list[TypeLoss]) -> None:
        super().__init__(message, field=losses[0].column)
        self.losses = losses

    def as_dict(self) -> dict[str, object]:
        body = super().as_dict()
        body["type_losses"] = [loss.model_dump(mode="json") for loss in self.losses]
        return body


class ShrinkRefused(ValidationFailed):
    """The new version is much smaller than the current one; nothing was written."""

    code = "shrink_not_confirmed"

    def __init__(self, message: str, *, shrink: Shrink) -> None:
        super().__init__(message, field="confirm_shrink")
        self.shrink = shrink

    def as_dict(self) -> dict[str, object]:
        body = super().as_dict()
        body["shrink"] = self.shrink.model_dump(mode="json")
        return body


def loses_type(old: ColumnType, new: ColumnType) -> bool:
    """Would a column typed ``old`` lose meaning as ``new``? Text loses every type; an
    integer column loses its whole numbers as float/decimal. Widening a date to a
    timestamp or narrowing text to a type loses nothing."""
    if old == new:
        return False
    if new == "string":
        return old != "binary"
    return old == "integer" and new in _NUMERIC


def _breaks(q: str, old: ColumnType, new: ColumnType) -> str:
    """SQL: TRUE when the value of column ``q`` (typed ``new``) does not fit ``old``."""
    if new in _NUMERIC:  # integer → float/decimal: the fractional values
        return f"({q} IS NOT NULL AND {q} <> round({q}))"
    blank = f"({q} IS NULL OR trim({q}) = '')"
    if old == "integer":
        fits = f"regexp_full_match({q}, '{INTEGER_TEXT}')"
    elif old == "date":
        formats = ", ".join(f"'{f}'" for f in _DATE_FORMATS)
        fits = f"(TRY_CAST({q} AS DATE) IS NOT NULL OR try_strptime({q}, [{formats}]) IS NOT NULL)"
    elif old == "timestamp":
        formats = ", ".join(f"'{f}'" for f in _TIME_FORMATS + _DATE_FORMATS)
        fits = (
            f"(TRY_CAST({q} AS TIMESTAMP) IS NOT NULL "
            f"OR try_strptime({q}, [{formats}]) IS NOT NULL)"
        )
    elif old == "boolean":
        fits = f"TRY_CAST({q} AS BOOLEAN) IS NOT NULL"
    else:
        target = "DOUBLE" if old == "decimal" else DUCK_TYPES[old]
        fits = f"TRY_CAST(trim({q}) AS {target}) IS NOT NULL"
    return f"(NOT {blank} AND NOT {fits})"


@dataclass(frozen=True)
class _Lost:
    column: str
    old: ColumnType
    new: ColumnType


def find_type_losses(
    path: Path, previous: list[ColumnSchema], columns: list[ColumnSchema], lines: LineMap
) -> list[TypeLoss]:
    """The columns of ``previous`` that lose their type in the staged file ``path``."""
    before = {c.name: c.type for c in previous}
    lost = [
        _Lost(c.name, before[c.name], c.type)
        for c in columns
        if c.name in before and loses_type(before[c.name], c.type)
    ]
    if not lost:
        return []
    con = _connection()
    scan = parquet_scan(path, row_numbers=True)
    counts = ", ".join(
        f"count(*) FILTER (WHERE {_breaks(quote_ident(x.column), x.old, x.new)})" for x in lost
    )
    row = con.execute(f"SELECT {counts} FROM {scan}").fetchone()
    assert row is not None
    out = []
    for x, count in zip(lost, row, strict=True):
        q = quote_ident(x.column)
        found = con.execute(
            f"SELECT {ROW_NUMBER} + 1, {q} FROM {scan} WHERE {_breaks(q, x.old, x.new)} "
            f"LIMIT {SAMPLE}"
        ).fetchall()
        values = sorted(
            (BrokenValue(line=lines.line_of(int(n)), value=v) for n, v in found),
            key=lambda b: b.line,
        )
        out.append(
            TypeLoss(
                column=x.column,
                old_type=x.old,
                new_type=x.new,
                count=int(count),
                values=values,
                line_label=lines.label,
            )
        )
    return out


def refusal_message(losses: list[TypeLoss], current: int) -> str:
    parts = []
    for loss in losses:
        shown = ", ".join(f"{loss.line_label} {b.line}: {b.value!r}" for b in loss.values)
        more = (
            f" and {loss.count - len(loss.values):,} more" if loss.count > len(loss.values) else ""
        )
        what = (
            f"{loss.count:,} value(s) do not fit ({shown}{more})"
            if loss.count
            else "every value fits, but the file reader typed it as text"
        )
        parts.append(
            f"column '{loss.column}' would change {loss.old_type} → {loss.new_type}: {what}"
        )
    return (
        f"Load refused: {'; '.join(parts)}. Fix those values, or accept the new schema "
        f"explicitly (--accept-schema, the page's checkbox, the API's accept_schema field). "
        f"Nothing was written: version {current} stays current."
    )


def shrink_of(previous_rows: int, rows: int, share: float) -> Shrink | None:
    """The shrink when ``rows`` is below ``previous_rows`` by more than ``share``."""
    if previous_rows > 0 and rows < previous_rows and rows < previous_rows * (1 - share):
        return Shrink(previous_rows=previous_rows, rows=rows, share=share)
    return None


def shrink_message(shrink: Shrink, current: int) -> str:
    lost = 1 - shrink.rows / shrink.previous_rows
    return (
        f"Load refused: the new file has {shrink.rows:,} rows where version {current} has "
        f"{shrink.previous_rows:,} ({lost:.0%} fewer; more than "
        f"{shrink.share:.0%} needs confirmation). If the file is complete, confirm the shrink "
        "(--confirm-shrink, the page's checkbox, the API's confirm_shrink field). Nothing was "
        f"written: version {current} stays current."
    )
