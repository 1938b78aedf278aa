"""XLSX workbooks, streamed with openpyxl's read-only mode.

Excel already types its cells, so a column's type comes from its cells rather than from
guessing at text: numbers stay numbers, text cells (identity numbers typed as text) stay
text, dates stay dates, and a column mixing kinds becomes text. Rows stream into a staging
Parquet file of text columns plus the Excel row number, 8,192 rows at a time, and DuckDB
casts that once into the final file — memory stays flat for the largest sheet Excel allows.
Formulas give their cached values (what Excel last showed).
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/sql_string() pieces and the
# engine's own type names; every value a user supplies is a bound parameter.

from __future__ import annotations

import datetime as dt
import math
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl.utils import get_column_letter

from citybase.datahub.csvfile import check_names
from citybase.datahub.duck import column_type, quote_ident, sql_string
from citybase.datahub.filenames import shown
from citybase.datahub.typed import ROW, write_typed
from citybase.datahub.types import ColumnSchema, DetectedFormat, IngestOptions
from citybase.errors import ValidationFailed

BATCH = 8_192
DETECT_ROWS = 1_000
MIB = 1024 * 1024
#: Members smaller than this are not held to the compression-ratio limit (tiny XML parts
#: such as styles.xml compress far better than sheets, and cost nothing to parse).
RATIO_MIN_BYTES = MIB


@dataclass(frozen=True)
class XlsxLimits:
    """What a workbook may expand to before any of it is parsed (a "zip bomb" guard).

    An XLSX file is a ZIP archive of XML: 7 MB on disk can hold 2 GiB of XML that takes
    minutes to parse. The archive's directory gives every member's size before and after
    compression, so these limits are checked in microseconds, before parsing starts.
    """

    max_uncompressed_mb: int = 1024
    max_compression_ratio: int = 100
    max_rows: int = 1_048_576

    @classmethod
    def from_settings(cls, settings: Any) -> XlsxLimits:
        return cls(
            max_uncompressed_mb=settings.xlsx_max_uncompressed_mb,
            max_compression_ratio=settings.xlsx_max_compression_ratio,
            max_rows=settings.xlsx_max_rows,
        )


def check_archive(path: Path, limits: XlsxLimits) -> None:
    """Refuse a workbook that expands too far, by size or ratio, before opening it."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationFailed(
            f"{shown(path)} is not a readable XLSX workbook ({exc})", field="file"
        ) from None
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_mb * MIB:
        raise ValidationFailed(
            f"{shown(path)} expands to {total / MIB:,.0f} MiB of XML when unzipped, more than "
            f"the limit of {limits.max_uncompressed_mb:,} MiB (CITYBASE_XLSX_MAX_UNCOMPRESSED_MB)"
            ": save the sheet as CSV, or split the workbook",
            field="file",
            code="xlsx_too_large",
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size >= RATIO_MIN_BYTES and ratio > limits.max_compression_ratio:
            raise ValidationFailed(
                f"{shown(path)}: {m.filename} is compressed {ratio:,.0f} to 1, more than the "
                f"limit of {limits.max_compression_ratio:,} to 1 "
                "(CITYBASE_XLSX_MAX_COMPRESSION_RATIO); real sheets compress far less, so "
                "this workbook is refused: save the sheet as CSV and upload that",
                field="file",
                code="xlsx_too_large",
            )


def _too_many_rows(path: Path, sheet: str, limits: XlsxLimits) -> ValidationFailed:
    return ValidationFailed(
        f"sheet {sheet!r} of {shown(path)} has more than {limits.max_rows:,} rows, the limit "
        "(CITYBASE_XLSX_MAX_ROWS): save it as CSV, which has no row limit",
        field="rows",
        code="xlsx_too_large",
    )


@dataclass
class _Layout:
    sheet: str
    sheets: list[str]
    header: bool
    names: list[str]
    kinds: list[set[str]] = field(default_factory=list)


def _cell(value: Any) -> tuple[str | None, str | None]:
    """(text form, kind) of one cell; empty and blank cells are null."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return ("true" if value else "false"), "bool"
    if isinstance(value, int):
        return str(value), "int"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value), "str"
        return repr(value), "float"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat(), "date"
        return value.replace(tzinfo=None).isoformat(sep=" "), "datetime"
    if isinstance(value, dt.date):
        return value.isoformat(), "date"
    if isinstance(value, dt.time):
        return value.isoformat(), "time"
    text = str(value)
    if not text.strip():
        return None, None
    return text, "str"


def _duck_type(kinds: set[str]) -> str:
    if kinds == {"int"}:
        return "BIGINT"
    if kinds and kinds <= {"int", "float"}:
        return "DOUBLE"
    if kinds == {"bool"}:
        return "BOOLEAN"
    if kinds == {"date"}:
        return "DATE"
    if kinds and kinds <= {"date", "datetime"}:
        return "TIMESTAMP"
    return "VARCHAR"


def _open(
    path: Path, options: IngestOptions, limits: XlsxLimits
) -> tuple[Any, Any, str, list[str]]:
    check_archive(path, limits)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed(
            f"{shown(path)} is not a readable XLSX workbook ({exc})", field="file"
        ) from None
    sheets = list(wb.sheetnames)
    sheet = options.sheet or sheets[0]
    if sheet not in sheets:
        wb.close()
        raise ValidationFailed(
            f"sheet {sheet!r} is not in {shown(path)} (sheets: {', '.join(sheets)})",
            field="sheet",
        )
    ws = wb[sheet]
    if (ws.max_row or 0) > limits.max_rows:  # the sheet's declared size, when it has one
        wb.close()
        raise _too_many_rows(path, sheet, limits)
    return wb, ws, sheet, sheets


def _trimmed(values: tuple[Any, ...]) -> tuple[Any, ...]:
    end = len(values)
    while end and _cell(values[end - 1])[0] is None:
        end -= 1
    return values[:end]


def _data_rows(
    ws: Any, path: Path, sheet: str, sheets: list[str], options: IngestOptions
) -> tuple[_Layout, Iterator[tuple[int, tuple[Any, ...]]]]:
    """The layout from the first non-empty row, and an iterator over the data rows."""
    start = ws.min_row or 1
    rows = ((n, _trimmed(v)) for n, v in enumerate(ws.iter_rows(values_only=True), start))
    nonempty = ((n, v) for n, v in rows if v)
    first = next(nonempty, None)
    if first is None:
        raise ValidationFailed(f"sheet {sheet!r} of {shown(path)} is empty", field="sheet")
    first_no, first_values = first
    if options.header is not None:
        header = options.header
    else:
        header = all(isinstance(v, str) or v is None for v in first_values)
    if header:
        names = [str(v).strip() if v is not None else "" for v in first_values]
        check_names(names, where=f"the header row (row {first_no} of sheet {sheet!r})")
        body: Iterator[tuple[int, tuple[Any, ...]]] = nonempty
    else:
        names = [f"column_{i}" for i in range(1, len(first_values) + 1)]
        body = _chain_first(first, nonempty)
    layout = _Layout(
        sheet=sheet, sheets=sheets, header=header, names=names, kinds=[set() for _ in names]
    )
    return layout, body


def _chain_first(
    first: tuple[int, tuple[Any, ...]], rest: Iterator[tuple[int, tuple[Any, ...]]]
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    yield first
    yield from rest


def _texts(layout: _Layout, row_no: int, values: tuple[Any, ...]) -> list[str | None]:
    width = len(layout.names)
    if len(values) > width:
        raise ValidationFailed(
            f"row {row_no} of sheet {layout.sheet!r} has a value in column "
            f"{get_column_letter(len(values))} ({len(values)} columns), but the header has "
            f"{width}: give that column a header or clear the cell",
            field="rows",
        )
    out: list[str | None] = []
    for i in range(width):
        text, kind = _cell(values[i]) if i < len(values) else (None, None)
        if kind is not None:
            layout.kinds[i].add(kind)
        out.append(text)
    return out


def detect_xlsx(
    path: Path, options: IngestOptions, limits: XlsxLimits | None = None
) -> DetectedFormat:
    wb, ws, sheet, sheets = _open(path, options, limits or XlsxLimits())
    try:
        layout, body = _data_rows(ws, path, sheet, sheets, options)
        sample: list[dict[str, Any]] = []
        for count, (row_no, values) in enumerate(body):
            if count >= DETECT_ROWS:
                break
            _texts(layout, row_no, values)
            if len(sample) < 10:
                padded = values + (None,) * (len(layout.names) - len(values))
                sample.append(dict(zip(layout.names, padded, strict=True)))
    finally:
        wb.close()
    columns = []
    for name, kinds in zip(layout.names, layout.kinds, strict=True):
        wanted = options.schema_override.get(name)
        columns.append(ColumnSchema(name=name, type=wanted or column_type(_duck_type(kinds))))
    return DetectedFormat(
        format="xlsx", header=layout.header, columns=columns, sheets=sheets, sample=sample
    )


def load_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    stage: Path,
    tmp: Path,
    options: IngestOptions,
    progress: Callable[[float], None],
    limits: XlsxLimits | None = None,
) -> list[tuple[int, int]]:
    """Stream the sheet into ``stage`` (text + row numbers), then cast it into ``tmp``.

    Returns where the records stand in the sheet: (record, sheet row) at the first record
    and after every run of skipped empty rows (``types.LineMap.starts``)."""
    limits = limits or XlsxLimits()
    wb, ws, sheet, sheets = _open(path, options, limits)
    try:
        layout, body = _data_rows(ws, path, sheet, sheets, options)
        total_rows = max(int(ws.max_row or 0), 1)
        schema = pa.schema([(ROW, pa.int64()), *((n, pa.string()) for n in layout.names)])
        with pq.ParquetWriter(stage, schema, compression="snappy") as writer:
            numbers: list[int] = []
            columns: list[list[str | None]] = [[] for _ in layout.names]
            starts: list[tuple[int, int]] = []
            expected = -1
            for record, (row_no, values) in enumerate(body, start=1):
                if row_no > limits.max_rows:  # a sheet that did not declare its size
                    raise _too_many_rows(path, sheet, limits)
                if row_no != expected:
                    starts.append((record, row_no))
                expected = row_no + 1
                numbers.append(row_no)
                for col, text in zip(columns, _texts(layout, row_no, values), strict=True):
                    col.append(text)
                if len(numbers) >= BATCH:
                    _flush(writer, schema, numbers, columns)
                    progress(0.8 * row_no / total_rows)
            _flush(writer, schema, numbers, columns)
    finally:
        wb.close()
    typed = [(n, _duck_type(k)) for n, k in zip(layout.names, layout.kinds, strict=True)]
    overrides = options.schema_override
    staged = f"read_parquet({sql_string(str(stage))})"
    write_typed(
        con,
        source_sql=_typed_view(staged, typed, overrides, with_row=False),
        numbered_sql=_typed_view(staged, typed, overrides, with_row=True),
        columns=[(n, "VARCHAR" if n in overrides else t) for n, t in typed],
        options=options,
        tmp=tmp,
        row_label="row",
    )
    progress(1.0)
    return starts or [(1, 1)]


def _typed_view(
    staged: str, typed: list[tuple[str, str]], overrides: dict[str, Any], *, with_row: bool
) -> str:
    """The staged text cast to each column's type; overridden columns stay text for checking."""
    parts = [ROW] if with_row else []
    for name, duck_type in typed:
        q = quote_ident(name)
        keep = name in overrides or duck_type == "VARCHAR"
        parts.append(q if keep else f"CAST({q} AS {duck_type}) AS {q}")
    return f"(SELECT {', '.join(parts)} FROM {staged})"


def _flush(
    writer: pq.ParquetWriter,
    schema: pa.Schema,
    numbers: list[int],
    columns: list[list[str | None]],
) -> None:
    if not numbers:
        return
    arrays = [pa.array(numbers, pa.int64()), *(pa.array(c, pa.string()) for c in columns)]
    writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    numbers.clear()
    for c in columns:
        c.clear()
