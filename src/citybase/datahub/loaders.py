"""JSON / NDJSON and Parquet sources: describe, check names, then the shared typed write.

JSON types come from DuckDB's reader on the first 20,480 records; when a later record does
not fit (a number field that turns into text), all records are sampled and the load runs
again. Nested objects and arrays are kept as JSON text. Parquet types are mapped onto the
engine's eight (narrow integers widen, zoned timestamps become UTC, nested values JSON).
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/sql_string() pieces and the
# engine's own type names; every value a user supplies is a bound parameter.

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from citybase.datahub.csvfile import check_names
from citybase.datahub.duck import sql_string
from citybase.datahub.filenames import scrub, shown
from citybase.datahub.typed import ROW, preview, write_typed
from citybase.datahub.types import DetectedFormat, IngestOptions
from citybase.errors import ValidationFailed

SAMPLE_RECORDS = 20_480
_JSON_KINDS = {
    "ARRAY": "an array",
    "VARCHAR": "a string",
    "BIGINT": "a number",
    "UBIGINT": "a number",
    "DOUBLE": "a number",
    "BOOLEAN": "true/false",
    "NULL": "null",
}


# --- JSON / NDJSON ---------------------------------------------------------------------------


def _json_read(
    path: Path, fmt: str, *, columns: list[tuple[str, str]] | None = None, whole_file: bool = False
) -> str:
    layout = "array" if fmt == "json" else "newline_delimited"
    args = [f"format={sql_string(layout)}", "records='true'"]
    if columns is not None:
        spec = ", ".join(f"{sql_string(n)}: {sql_string(t)}" for n, t in columns)
        args.append(f"columns={{{spec}}}")
    else:
        args.append(f"sample_size={-1 if whole_file else SAMPLE_RECORDS}")
    return f"read_json({sql_string(str(path))}, {', '.join(args)})"


def _json_error(path: Path, fmt: str, exc: duckdb.Error) -> ValidationFailed:
    text = str(exc).split("\n")[0]
    detail = text.split("Error: ", 1)[-1].strip()
    if "top-level JSON array" in detail:
        return ValidationFailed(
            f"{shown(path)} must be a JSON array of objects ([{{...}}, {{...}}]) or one object "
            "per line (NDJSON)",
            field="format",
        )
    if "non-record" in detail or "expected records" in detail:
        return ValidationFailed(
            f'{shown(path)}: every record must be a JSON object ({{"column": value, ...}})',
            field="format",
        )
    detail = scrub(detail.replace(f'in file "{path}", ', ""), path)
    return ValidationFailed(f"{shown(path)} is not valid {fmt.upper()}: {detail}", field="file")


def _check_json_keys(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> None:
    """Keys of the first records: non-empty, and unique ignoring case (DuckDB's rule)."""
    layout = "array" if fmt == "json" else "newline_delimited"
    sql = (
        f"SELECT json_type(json), json_keys(json) FROM "
        f"read_json_objects({sql_string(str(path))}, format={sql_string(layout)}) LIMIT 1000"
    )
    try:
        rows = con.execute(sql).fetchall()
    except duckdb.Error as exc:
        raise _json_error(path, fmt, exc) from None
    seen: dict[str, str] = {}
    for i, (kind, keys) in enumerate(rows, start=1):
        if kind != "OBJECT":
            raise ValidationFailed(
                f"{shown(path)}: record {i} is {_JSON_KINDS.get(str(kind), str(kind).lower())}, "
                'not an object — every record must be {"column": value, ...}',
                field="format",
            )
        for key in keys or []:
            if not key.strip():
                raise ValidationFailed(
                    f"{shown(path)}: record {i} has a key with no name: give every field a name",
                    field="header",
                )
            prior = seen.setdefault(key.casefold(), key)
            if prior != key:
                raise ValidationFailed(
                    f"duplicate column names in {shown(path)}: {prior!r} and {key!r} differ "
                    "only in case — use one spelling",
                    field="header",
                )


def _json_columns(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, whole_file: bool
) -> list[tuple[str, str]]:
    try:
        rows = con.execute(
            f"DESCRIBE SELECT * FROM {_json_read(path, fmt, whole_file=whole_file)}"
        ).fetchall()
    except duckdb.Error as exc:
        raise _json_error(path, fmt, exc) from None
    columns = [(str(r[0]), str(r[1])) for r in rows]
    check_names([n for n, _ in columns], where=shown(path))
    return columns


def detect_json(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, options: IngestOptions
) -> DetectedFormat:
    _check_json_keys(con, path, fmt)
    columns = _json_columns(con, path, fmt, whole_file=False)
    try:
        schema, sample = preview(con, _json_read(path, fmt, columns=columns), columns, options)
    except duckdb.Error as exc:
        raise _json_error(path, fmt, exc) from None
    return DetectedFormat(format=fmt, columns=schema, sample=sample)  # type: ignore[arg-type]


def load_json(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, tmp: Path, options: IngestOptions
) -> None:
    """Types from the first 20,480 records; if a later record disagrees, from all records."""
    _check_json_keys(con, path, fmt)
    for whole_file in (False, True):
        columns = _json_columns(con, path, fmt, whole_file)
        source = _json_read(path, fmt, columns=columns)
        numbered = f"(SELECT row_number() OVER () AS {ROW}, * FROM {source})"
        try:
            write_typed(
                con,
                source_sql=source,
                numbered_sql=numbered,
                columns=columns,
                options=options,
                tmp=tmp,
                row_label="record",
            )
            return
        except duckdb.Error as exc:
            tmp.unlink(missing_ok=True)
            if "transform error" in str(exc) and not whole_file:
                continue
            raise _json_error(path, fmt, exc) from None


# --- Parquet ---------------------------------------------------------------------------------


def _parquet_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    try:
        names = pq.ParquetFile(path).schema_arrow.names
        rows = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({sql_string(str(path))})"
        ).fetchall()
    except Exception as exc:  # pyarrow and DuckDB raise many kinds for a damaged footer
        raise ValidationFailed(
            f"{shown(path)} is not a readable Parquet file ({exc})", field="file"
        ) from None
    check_names([str(n).strip() for n in names], where=shown(path))
    return [(str(r[0]), str(r[1])) for r in rows]


def detect_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, options: IngestOptions
) -> DetectedFormat:
    columns = _parquet_columns(con, path)
    source = f"read_parquet({sql_string(str(path))})"
    schema, sample = preview(con, source, columns, options)
    return DetectedFormat(format="parquet", columns=schema, sample=sample)


def load_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, tmp: Path, options: IngestOptions
) -> None:
    columns = _parquet_columns(con, path)
    source = f"read_parquet({sql_string(str(path))})"
    numbered = (
        f"(SELECT file_row_number + 1 AS {ROW}, * EXCLUDE (file_row_number) "
        f"FROM read_parquet({sql_string(str(path))}, file_row_number = true))"
    )
    try:
        write_typed(
            con,
            source_sql=source,
            numbered_sql=numbered,
            columns=columns,
            options=options,
            tmp=tmp,
            row_label="row",
        )
    except duckdb.Error as exc:
        raise ValidationFailed(
            f"{shown(path)} could not be read: {scrub(str(exc).splitlines()[0], path)}",
            field="file",
        ) from None
