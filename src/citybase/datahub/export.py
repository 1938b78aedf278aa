"""Downloads of a dataset's rows as CSV, JSON or Parquet, streamed through a temporary file.

An export applies the query's projection, filters, search and sort, and writes EVERY
matching row (limit, offset and after are paging controls and are ignored). DuckDB writes
the file (millions of rows per second, memory flat); it is then copied to ``out`` — an open
binary stream (an HTTP response, a file) or a path — in 1 MiB chunks. Each writer returns
the number of rows written.

CSV is written for spreadsheets: UTF-8 with a BOM by default (Excel then reads Chinese
correctly) or GBK for old Chinese Excel, and cells a spreadsheet would run as a formula are
neutralised (OWASP "CSV injection"): text beginning with = + - @ tab or CR gets a leading
apostrophe. Numbers are never touched: numeric columns are typed, and a text cell holding
a plain number such as "-12.5" is left alone because a spreadsheet reads it as a number.
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/parquet_scan() pieces; filter
# values are bound $parameters (see query.compile_query).

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from citybase.datahub.duck import connect, quote_ident, sql_string
from citybase.datahub.query import column_expr, compile_query
from citybase.datahub.types import RowQuery
from citybase.errors import ValidationFailed

CsvEncoding = Literal["utf-8-sig", "utf-8", "gbk"]
FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
CHUNK = 1 << 20


def write_csv(
    path: Path,
    out: BinaryIO | Path,
    query: RowQuery | None = None,
    encoding: CsvEncoding = "utf-8-sig",
) -> int:
    """CSV with a header row; formula-like text cells neutralised (see module docstring)."""
    if encoding not in ("utf-8-sig", "utf-8", "gbk"):
        raise ValidationFailed(
            f"encoding must be utf-8-sig, utf-8 or gbk, got {encoding!r}", field="encoding"
        )
    with _scratch() as tmp:
        rows = _copy(path, query, tmp / "rows.csv", "FORMAT csv, HEADER true", neutralise=True)
        data = tmp / "rows.csv"
        if encoding == "gbk":
            data = _to_gbk(data, tmp / "rows-gbk.csv")
        _deliver(data, out, prefix=b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"")
    return rows


def write_json(
    path: Path, out: BinaryIO | Path, query: RowQuery | None = None, *, lines: bool = False
) -> int:
    """A JSON array of objects (``lines=True``: one object per line, NDJSON)."""
    options = "FORMAT json" + ("" if lines else ", ARRAY true")
    with _scratch() as tmp:
        rows = _copy(path, query, tmp / "rows.json", options, neutralise=False)
        _deliver(tmp / "rows.json", out)
    return rows


def write_parquet(path: Path, out: BinaryIO | Path, query: RowQuery | None = None) -> int:
    """A zstd Parquet file of the matching rows, types kept."""
    with _scratch() as tmp:
        rows = _copy(
            path, query, tmp / "rows.parquet", "FORMAT parquet, COMPRESSION zstd", neutralise=False
        )
        _deliver(tmp / "rows.parquet", out)
    return rows


#: Rows per batch streamed through a grant's de-identification (memory stays flat).
DEID_BATCH = 262_144


def write_deidentified(
    path: Path,
    out: BinaryIO | Path,
    fmt: Literal["csv", "json", "parquet"],
    query: RowQuery,
    *,
    deidentify: Callable[[pa.Table], pa.Table],
    subject_columns: list[str],
    encoding: CsvEncoding = "utf-8-sig",
) -> tuple[int, pa.Array]:
    """Every matching row, de-identified batch by batch, in ``fmt``; also the distinct
    values of ``subject_columns`` read *before* de-identification (for the data tracker).

    The query's projection, filters and sort run in DuckDB; batches stream through
    ``deidentify`` into a scratch Parquet file, which the ordinary writers then turn into
    CSV (neutralised, any encoding), JSON or Parquet. Subject columns not projected are
    read alongside and dropped before anything is written.
    """
    wanted = list(query.columns or [])
    hidden = [c for c in subject_columns if wanted and c not in wanted]
    compiled = compile_query(path, query.model_copy(update={"columns": [*wanted, *hidden]}))
    order = f" ORDER BY {', '.join(compiled.order)}" if compiled.order else ""
    sql = f"SELECT {', '.join(compiled.select)} FROM {compiled.scan}{compiled.where_sql}{order}"
    seen: list[pa.Array] = []
    rows = 0
    with _scratch() as tmp:
        staged = tmp / "deidentified.parquet"
        con = connect()
        writer: pq.ParquetWriter | None = None
        try:
            reader = con.sql(sql, params=compiled.params or None).to_arrow_reader(DEID_BATCH)
            for batch in reader:
                table = pa.Table.from_batches([batch])
                seen.extend(_distinct(table, subject_columns))
                table = deidentify(table.drop_columns(hidden) if hidden else table)
                if writer is None:
                    writer = pq.ParquetWriter(staged, table.schema, compression="zstd")
                writer.write_table(table)
                rows += table.num_rows
            if writer is None:  # no rows: an empty file with the projected columns
                empty = reader.schema.empty_table()
                table = deidentify(empty.drop_columns(hidden) if hidden else empty)
                writer = pq.ParquetWriter(staged, table.schema, compression="zstd")
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
            con.close()
        if fmt == "csv":
            write_csv(staged, out, None, encoding=encoding)
        elif fmt == "json":
            write_json(staged, out, None)
        else:
            write_parquet(staged, out, None)
    return rows, _merge(seen)


def subject_values(path: Path, query: RowQuery, columns: list[str]) -> pa.Array:
    """Distinct values of ``columns`` over the rows ``query`` matches (paging ignored)."""
    compiled = compile_query(
        path, query.model_copy(update={"columns": columns, "sort": [], "after": None})
    )
    con = connect()
    try:
        table = con.sql(
            f"SELECT DISTINCT {', '.join(compiled.select)} FROM {compiled.scan}"
            f"{compiled.where_sql}",
            params=compiled.params or None,
        ).to_arrow_table()
    finally:
        con.close()
    return _merge(_distinct(table, columns))


def _distinct(table: pa.Table, columns: list[str]) -> list[pa.Array]:
    import pyarrow.compute as pc

    return [
        pc.unique(pc.cast(table.column(c), pa.string()).combine_chunks().drop_null())
        for c in columns
    ]


def _merge(arrays: list[pa.Array]) -> pa.Array:
    import pyarrow.compute as pc

    if not arrays:
        return pa.array([], pa.string())
    return pc.unique(pa.chunked_array(arrays, pa.string()).combine_chunks())


def neutralised(expr: str) -> str:
    """SQL: a text value with a leading apostrophe when a spreadsheet would run it."""
    return (
        f"CASE WHEN regexp_matches({expr}, {sql_string(FORMULA_START)}) AND NOT "
        f"regexp_full_match({expr}, {sql_string(PLAIN_NUMBER)}) "
        f"THEN '''' || {expr} ELSE {expr} END"
    )


def _copy(
    path: Path, query: RowQuery | None, target: Path, options: str, *, neutralise: bool
) -> int:
    compiled = compile_query(path, query or RowQuery())
    select = []
    for col, expr in zip(compiled.columns, compiled.select, strict=True):
        if neutralise and col.type == "string":
            select.append(f"{neutralised(column_expr(col.name))} AS {quote_ident(col.name)}")
        else:
            select.append(expr)
    order = f" ORDER BY {', '.join(compiled.order)}" if compiled.order else ""
    con = connect()
    try:
        row = con.execute(
            f"COPY (SELECT {', '.join(select)} FROM {compiled.scan}{compiled.where_sql}{order}) "
            f"TO {sql_string(str(target))} ({options})",
            compiled.params,
        ).fetchall()
    finally:
        con.close()
    return int(row[0][0]) if row else 0


def _to_gbk(source: Path, target: Path) -> Path:
    """Transcode line by line; a character GBK lacks stops the export, naming its line."""
    with source.open("r", encoding="utf-8", newline="") as src, target.open("wb") as dst:
        for number, line in enumerate(src, start=1):
            try:
                dst.write(line.encode("gbk"))
            except UnicodeEncodeError as exc:
                char = line[exc.start]
                raise ValidationFailed(
                    f"line {number} of the export holds {char!r} (U+{ord(char):04X}), which "
                    "GBK cannot represent: export as UTF-8 instead",
                    field="encoding",
                ) from None
    return target


def _deliver(data: Path, out: BinaryIO | Path, prefix: bytes = b"") -> None:
    if isinstance(out, Path):
        with out.open("wb") as dst:
            dst.write(prefix)
            with data.open("rb") as src:
                shutil.copyfileobj(src, dst, CHUNK)
        return
    out.write(prefix)
    with data.open("rb") as src:
        shutil.copyfileobj(src, out, CHUNK)


@contextmanager
def _scratch() -> Iterator[Path]:
    """A private temporary directory, removed whatever happens."""
    directory = Path(tempfile.mkdtemp(prefix="citybase-export-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
