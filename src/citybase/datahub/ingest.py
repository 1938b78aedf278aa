"""Load a source file (CSV, XLSX, JSON/NDJSON, Parquet) into one typed Parquet file.

The catalog decides where files live; this module only turns ``source`` into ``dest``:
- the format is detected from the file's first bytes (then its name), the encoding and CSV
  layout from its first MiB (see ``encoding`` and ``csvfile``);
- column types are inferred from a sample and re-inferred from the whole file when a later
  value does not fit, so a column that looks numeric for 100k rows and then holds text
  becomes text — nothing is rounded, truncated or dropped;
- every problem is a ``ValidationFailed`` naming the line/record, column and value;
- the output is written to ``dest.with_suffix('.tmp-<pid>-<random>')`` in the same
  directory, fsynced, then renamed over ``dest``: readers see the old file or the new one,
  never half of one, and on any error no temporary file is left behind.
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/sql_string() pieces and the
# engine's own type names; every value a user supplies is a bound parameter.

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import duckdb

from citybase.datahub import csvload, loaders, typed, xlsx
from citybase.datahub.bytescan import BOM_UTF8
from citybase.datahub.duck import column_type, connect, sql_string
from citybase.datahub.encoding import is_utf8_name, read_head, transcode_to_utf8
from citybase.datahub.filenames import showing, shown
from citybase.datahub.types import (
    ColumnSchema,
    DetectedFormat,
    IngestOptions,
    IngestResult,
    LineMap,
)
from citybase.datahub.workfiles import (
    Progress,
    ProgressCallback,
    Work,
    fsync_and_hash,
    fsync_dir,
    sweep_stale_temp_files,
)
from citybase.errors import ValidationFailed

__all__ = ["ProgressCallback", "detect", "detect_format", "ingest_file", "sweep_stale_temp_files"]


# --- public API ------------------------------------------------------------------------------


def detect(
    source: Path,
    options: IngestOptions,
    *,
    source_name: str | None = None,
    limits: xlsx.XlsxLimits | None = None,
) -> DetectedFormat:
    """Format, encoding, CSV layout, columns and the first rows — without writing anything.

    ``source_name`` is the name the user knows the file by (an upload's own name, not the
    server's temporary copy): every error names it.
    """
    with showing(source_name):
        return _detect(source, options, limits or xlsx.XlsxLimits())


def _detect(source: Path, options: IngestOptions, limits: xlsx.XlsxLimits) -> DetectedFormat:
    _require_content(source)
    head, at_eof = read_head(source)
    fmt = options.format or detect_format(source, head)
    if fmt == "xlsx":
        return xlsx.detect_xlsx(source, options, limits)
    con = connect()
    try:
        if fmt == "parquet":
            return loaders.detect_parquet(con, source, options)
        codec, _ = csvload.choose_codec(source, head, at_eof, options)
        whole = fmt in ("json", "ndjson")
        with csvload.utf8_head(source, head, at_eof, codec, whole=whole) as utf8:
            if fmt in ("json", "ndjson"):
                found = loaders.detect_json(con, utf8, fmt, options)
                return found.model_copy(update={"encoding": codec})
            return csvload.detect_csv(con, utf8, head, at_eof, codec, options)
    finally:
        con.close()


def ingest_file(
    source: Path,
    *,
    dest: Path,
    options: IngestOptions,
    progress: ProgressCallback | None = None,
    source_name: str | None = None,
    limits: xlsx.XlsxLimits | None = None,
) -> IngestResult:
    """Read ``source`` and atomically write it to ``dest`` as one typed, zstd Parquet file.

    ``source_name``: the name errors give the file (see ``detect``); ``limits``: how far an
    XLSX workbook may expand (default ``XlsxLimits()``; the service passes the settings').
    """
    with showing(source_name):
        return _ingest_file(source, dest, options, progress, limits or xlsx.XlsxLimits())


def _ingest_file(
    source: Path,
    dest: Path,
    options: IngestOptions,
    progress: ProgressCallback | None,
    limits: xlsx.XlsxLimits,
) -> IngestResult:
    started = time.perf_counter()
    size = _require_content(source)
    head, at_eof = read_head(source)
    fmt = options.format or detect_format(source, head)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temp_files(dest)
    work = Work(dest)
    meter = Progress(progress, size)
    tmp = work.temp("tmp")
    try:
        con = connect()
        try:
            encoding, delimiter, lines = _load(
                con, fmt, source, head, at_eof, tmp, work, options, meter, limits
            )
            columns, rows = _written_schema(con, tmp)
        finally:
            con.close()
        if rows == 0:
            raise ValidationFailed(_no_rows_message(source, fmt), field="rows")
        checksum = fsync_and_hash(tmp)
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except BaseException:
        work.cleanup()
        raise
    work.cleanup()
    meter.finish()
    return IngestResult(
        row_count=rows,
        columns=columns,
        checksum=checksum,
        source_format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        bytes_read=size,
        seconds=round(time.perf_counter() - started, 3),
        lines=lines,
    )


def _load(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    source: Path,
    head: bytes,
    at_eof: bool,
    tmp: Path,
    work: Work,
    options: IngestOptions,
    meter: Progress,
    limits: xlsx.XlsxLimits,
) -> tuple[str | None, str | None, LineMap]:
    """Write ``tmp`` from ``source``; returns (encoding, delimiter) where they apply and
    where each record stands in the file (see ``LineMap``)."""
    size = meter.total
    if fmt == "csv":
        codec, delimiter, first = csvload.load_csv(
            con, source, head, at_eof, tmp, work, options, meter
        )
        return codec, delimiter, LineMap(label="line", starts=[(1, first)])
    if fmt in ("json", "ndjson"):
        codec, detected = csvload.choose_codec(source, head, at_eof, options)
        readable = source
        if not is_utf8_name(codec):
            readable = work.temp("utf8")
            codec = transcode_to_utf8(
                source, readable, codec, detected=detected, progress=lambda n: meter.at(n / 2)
            )
        with meter.watch(con, size / 2 if readable != source else 0, size):
            loaders.load_json(con, readable, fmt, tmp, options)
        return codec, None, LineMap()
    if fmt == "parquet":
        with meter.watch(con, 0, size):
            loaders.load_parquet(con, source, tmp, options)
        return None, None, LineMap()
    if fmt == "xlsx":
        stage = work.temp("stage")
        starts = xlsx.load_xlsx(
            con, source, stage, tmp, options, lambda f: meter.at(f * size), limits
        )
        return None, None, LineMap(label="row", starts=starts)
    raise ValidationFailed(f"format {fmt!r} is not supported", field="format")


def detect_format(source: Path, head: bytes) -> str:
    """The format from magic bytes first (a renamed file still loads), then the name."""
    name = shown(source)
    ext = source.suffix.lower()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(source) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            names = set()
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise _unsupported(
            f"{name} is a ZIP archive, not an XLSX workbook: unzip it and "
            "upload the CSV or XLSX file inside"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _unsupported(
            f"{name} is an Excel 97-2003 workbook (.xls): open it in Excel and "
            "save it as .xlsx or CSV"
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _unsupported(f"{name} is UTF-16 text: save it as UTF-8 (or GBK) CSV")
    if head.startswith(b"%PDF"):
        raise _unsupported(f"{name} is a PDF document, not a table: export the data as CSV")
    if head.startswith(b"\x1f\x8b"):
        raise _unsupported(f"{name} is gzip-compressed: decompress it first")
    if b"\x00" in head[:8192]:
        raise _unsupported(
            f"{name} is a binary file of an unknown kind: upload CSV, XLSX, JSON, NDJSON or Parquet"
        )
    first = head.removeprefix(BOM_UTF8).lstrip()[:1]
    if first == b"<":
        raise _unsupported(
            f"{name} is HTML or XML, not a table file (web systems often save "
            "HTML as .xls): open it in Excel and save it as .xlsx or CSV"
        )
    if ext in (".xlsx", ".xlsm", ".parquet", ".xls"):
        raise _unsupported(
            f"{name} is named {ext} but holds text: rename it to .csv or upload the real file"
        )
    if ext in (".ndjson", ".jsonl"):
        return "ndjson"
    if ext == ".json":
        return "json" if first == b"[" else "ndjson"
    if first == b"[":
        return "json"
    if first == b"{":
        return "ndjson"
    return "csv"


def _require_content(source: Path) -> int:
    try:
        size = source.stat().st_size
    except FileNotFoundError:
        raise ValidationFailed(f"{shown(source)} does not exist", field="file") from None
    if size == 0:
        raise ValidationFailed(
            f"{shown(source)} is empty (0 bytes): upload the file again", field="file"
        )
    return size


def _written_schema(con: duckdb.DuckDBPyConnection, tmp: Path) -> tuple[list[ColumnSchema], int]:
    meta = typed.parquet_nulls_and_rows(tmp)
    described = con.execute(
        f"DESCRIBE SELECT * FROM read_parquet({sql_string(str(tmp))})"
    ).fetchall()
    columns = [
        ColumnSchema(
            name=str(r[0]), type=column_type(str(r[1])), nullable=meta.nulls.get(str(r[0]), 1) > 0
        )
        for r in described
    ]
    return columns, meta.rows


def _no_rows_message(source: Path, fmt: str) -> str:
    if fmt == "csv":
        return (
            f"{shown(source)} has a header row but no data rows (0 rows): add the data or "
            "check that the right file was exported"
        )
    if fmt == "xlsx":
        return f"{shown(source)}: the sheet has a header row but no data rows (0 rows)"
    return f"{shown(source)} holds no records (0 rows)"


def _unsupported(message: str) -> ValidationFailed:
    return ValidationFailed(message, field="format")
