"""CSV sources: encoding, layout and types detected, then one DuckDB ``read_csv`` → Parquet.

The load is optimistic and corrects itself: types come from a 20,480-row sample; if a later
value does not fit (text in a number column, "1.5" or "007" in an integer column), the
whole file is sampled and the load runs again, so the column gets the type the whole file
supports. Rows DuckDB refuses (ragged rows, unclosed quotes, bytes that are not UTF-8) are
recorded, not fatal, and the first one becomes the error message with its line number.
A file that looked like UTF-8 in its first MiB but is not further down is read again as
GBK — if everything before the first bad byte was ASCII.
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/sql_string() pieces and the
# engine's own type names; every value a user supplies is a bound parameter.

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from citybase.datahub import csvfile, typed
from citybase.datahub.duck import (
    DUCK_TYPES,
    PARQUET_OPTIONS,
    column_type,
    fetch_one,
    normalising_cast,
    quote_ident,
    sql_string,
)
from citybase.datahub.encoding import (
    codec_for,
    decode_head,
    find_decode_error,
    is_utf8_name,
    sniff_encoding,
    transcode_to_utf8,
    undecodable_message,
)
from citybase.datahub.filenames import scrub, shown
from citybase.datahub.mixed import fitting_encodings, line_at, mixed_in_head, mixed_message
from citybase.datahub.types import ColumnSchema, DetectedFormat, IngestOptions
from citybase.datahub.workfiles import Progress, Work
from citybase.errors import ValidationFailed

_BAD_INTEGER = re.compile(r"citybase-bad-integer:(\d+)")
#: An integer as a person writes it; "007" and "1.5" are not (they would lose a zero or be
#: rounded), so a column holding them is text or float instead.
_INTEGER_TEXT = r"\s*[+-]?(0|[1-9][0-9]*)\s*"
_INTEGER_TEXT_OVERRIDE = r"\s*[+-]?[0-9]+\s*"
_NUMBER_TEXT = r"\s*[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*"


def load_csv(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    head: bytes,
    at_eof: bool,
    tmp: Path,
    work: Work,
    options: IngestOptions,
    meter: Progress,
) -> tuple[str, str, int]:
    """Write ``tmp`` from a CSV file; returns (encoding, delimiter) as detected or given,
    and the line of the file the first data row starts on (title lines and header above)."""
    codec, detected = choose_codec(source, head, at_eof, options)
    size = meter.total
    readable, start = source, 0.0
    if not is_utf8_name(codec):
        readable, start = work.temp("utf8"), size / 2
        codec = transcode_to_utf8(
            source, readable, codec, detected=detected, progress=lambda n: meter.at(n / 2)
        )
    text = decode_head(head, codec, at_eof)
    delimiter = options.delimiter or csvfile.detect_delimiter(text)
    whole_file = False
    widened: dict[str, str] = {}
    for _attempt in range(4):
        dialect = csvfile.sniff(
            con,
            readable,
            delimiter=delimiter,
            header=options.header,
            whole_file=whole_file,
            width=csvfile.modal_width(text, delimiter),
        )
        _name_columns(dialect, text)
        reader_types, selects = _csv_plan(con, readable, dialect, options, widened)
        source_sql = csvfile.read_csv_sql(readable, dialect, reader_types)
        con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
        tmp.unlink(missing_ok=True)
        failure: duckdb.Error | None = None
        try:
            with meter.watch(con, start, size - start):
                con.execute(
                    f"COPY (SELECT {', '.join(selects)} FROM {source_sql}) "
                    f"TO {sql_string(str(tmp))} ({PARQUET_OPTIONS})"
                )
        except duckdb.Error as exc:
            failure = exc
        rejects = csvfile.first_rejects(con)
        if rejects:
            r = rejects[0]
            if r.kind.startswith("INVALID") and readable == source and detected:
                readable, codec = _fallback_to_gbk(source, work, meter, r.line)
                start = size / 2
                text = decode_head(head, codec, at_eof)
                delimiter = options.delimiter or csvfile.detect_delimiter(text)
                continue
            if r.kind == "CAST" and r.column not in options.schema_override and not whole_file:
                whole_file = True
                continue
            raise _reject_error(r, source, codec, dialect, options)
        if failure is not None:
            m = _BAD_INTEGER.search(str(failure))
            if m is None:
                raise ValidationFailed(
                    f"{shown(source)} could not be read: "
                    f"{scrub(str(failure).splitlines()[0], source, readable)}",
                    field="file",
                )
            column = dialect.names[int(m.group(1))]
            if column in options.schema_override:
                raise _bad_override_integer(con, readable, dialect, column)
            if whole_file:
                widened |= {column: "VARCHAR"}
                widened |= _not_integer_columns(con, readable, dialect, options)
            whole_file = True
            continue
        return codec, delimiter, dialect.skip + (1 if dialect.header else 0) + 1
    raise ValidationFailed(
        f"{shown(source)}: column types could not be settled; set "
        "schema_override for the mixed columns",
        field="schema_override",
    )


def choose_codec(
    source: Path, head: bytes, at_eof: bool, options: IngestOptions
) -> tuple[str, bool]:
    """(codec, detected?) — the user's encoding, or the one the first MiB fits."""
    if options.encoding:
        return codec_for(options.encoding), False
    found = sniff_encoding(head, at_eof)
    if found is None or not is_utf8_name(found):
        mixed = mixed_in_head(shown(source), head, at_eof)
        if mixed is not None:
            raise ValidationFailed(mixed, field="encoding")
    if found is None:
        err = find_decode_error(source, "gb18030")
        where = f" at {err.describe()}" if err else ""
        raise ValidationFailed(
            f"{shown(source)} is not valid UTF-8, GBK or GB18030 text{where}: "
            "save it again as UTF-8",
            field="encoding",
        )
    return found, True


def _fallback_to_gbk(source: Path, work: Work, meter: Progress, line: int) -> tuple[Path, str]:
    """The first MiB looked like UTF-8 but a later line is not: GBK if all before was ASCII.

    Returns the transcoded file and the codec (GBK, or GB18030 if the file needed it).
    """
    err = find_decode_error(source, "utf-8")
    if err is None:
        raise ValidationFailed(
            f"{shown(source)}: line {line} holds text that is not valid UTF-8; save the file "
            "again as UTF-8",
            field="encoding",
        )
    if not _ascii_prefix(source, err.offset):
        then = ", ".join(fitting_encodings(line_at(source, err.offset)))
        if then:
            raise ValidationFailed(
                mixed_message(shown(source), "UTF-8", err.line, then, err), field="encoding"
            )
        raise ValidationFailed(
            f"{shown(source)} mixes encodings: UTF-8 text up to line {err.line}, then "
            f"undecodable bytes at {err.describe()}. Save the whole file as UTF-8",
            field="encoding",
        )
    target = work.temp("utf8")
    codec = transcode_to_utf8(
        source, target, "gbk", detected=True, progress=lambda n: meter.at(n / 2)
    )
    return target, codec


def _ascii_prefix(path: Path, length: int) -> bool:
    """Whether the first ``length`` bytes are ASCII, read in chunks (memory stays flat)."""
    with path.open("rb") as f:
        while length > 0:
            chunk = f.read(min(length, 1 << 22))
            if not chunk:
                break
            if not chunk.isascii():
                return False
            length -= len(chunk)
    return True


def _name_columns(dialect: csvfile.CsvDialect, text: str) -> None:
    if not dialect.header:
        dialect.names = [f"column_{i}" for i in range(1, len(dialect.types) + 1)]
        return
    names = csvfile.header_names(text, dialect)
    line = dialect.skip + 1
    csvfile.check_names(names, where=f"the header row (line {line})")
    if len(names) != len(dialect.types):
        raise ValidationFailed(
            f"the header row (line {line}) has {len(names)} columns but the data rows have "
            f"{len(dialect.types)}: add the missing header names or remove the extra ones",
            field="header",
        )
    dialect.names = names


def _csv_plan(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    dialect: csvfile.CsvDialect,
    options: IngestOptions,
    widened: dict[str, str],
) -> tuple[list[str], list[str]]:
    """Per column: the type ``read_csv`` parses, and the SELECT expression that finishes it."""
    overrides = options.schema_override
    typed.require_override_columns(overrides, dialect.names)
    numeric = [
        n
        for n, t in zip(dialect.names, dialect.types, strict=True)
        if t in ("BIGINT", "DOUBLE") and n not in overrides and n not in widened
    ]
    long_digits = csvfile.long_digit_columns(con, path, dialect, numeric)
    decimals = [n for n in dialect.names if overrides.get(n) == "decimal"]
    scales = csvfile.decimal_scales(con, path, dialect, decimals)
    reader: list[str] = []
    selects: list[str] = []
    for i, (name, sniffed) in enumerate(zip(dialect.names, dialect.types, strict=True)):
        q = quote_ident(name)
        wanted = overrides.get(name)
        if wanted == "decimal":
            target = f"DECIMAL(38, {scales[name]})"
        elif wanted is not None:
            target = DUCK_TYPES[wanted]
        elif name in widened:
            target = widened[name]
        elif sniffed == "HUGEINT" or name in long_digits:
            target = "VARCHAR"
        else:
            target = sniffed
        if target == "BIGINT":
            # DuckDB's own text→BIGINT cast rounds "1.5" and drops the zero of "007"; both
            # would corrupt data, so they stop the load (and re-type the column) instead.
            zeros = "" if wanted else f" OR (strlen({q}) > 1 AND starts_with({q}, '0'))"
            reader.append("VARCHAR")
            selects.append(
                f"CASE WHEN {q} IS NULL THEN NULL WHEN contains({q}, '.'){zeros} "
                f"OR TRY_CAST({q} AS BIGINT) IS NULL THEN error('citybase-bad-integer:{i}') "
                f"ELSE TRY_CAST({q} AS BIGINT) END AS {q}"
            )
            continue
        reader.append(target)
        expr, _ = normalising_cast(q, target)
        selects.append(f"{expr} AS {q}")
    return reader, selects


def _not_integer_columns(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    dialect: csvfile.CsvDialect,
    options: IngestOptions,
) -> dict[str, str]:
    """Integer-typed columns holding other values (whole file): DOUBLE if all are plain
    numbers, else VARCHAR (leading zeros, text)."""
    names = [
        n
        for n, t in zip(dialect.names, dialect.types, strict=True)
        if t == "BIGINT" and n not in options.schema_override
    ]
    if not names:
        return {}
    probes = []
    for n in names:
        q = quote_ident(n)
        probes.append(f"bool_or(NOT regexp_full_match({q}, {sql_string(_INTEGER_TEXT)}))")
        probes.append(f"bool_or(NOT regexp_full_match({q}, {sql_string(_NUMBER_TEXT)}))")
    source = csvfile.read_csv_sql(path, dialect, dialect.types, all_varchar=True)
    row = fetch_one(con, f"SELECT {', '.join(probes)} FROM {source}")
    assert row is not None
    out: dict[str, str] = {}
    for i, n in enumerate(names):
        not_int, not_number = row[2 * i], row[2 * i + 1]
        if not_int:
            out[n] = "VARCHAR" if not_number else "DOUBLE"
    return out


def _bad_override_integer(
    con: duckdb.DuckDBPyConnection, path: Path, dialect: csvfile.CsvDialect, column: str
) -> ValidationFailed:
    q = quote_ident(column)
    source = csvfile.read_csv_sql(path, dialect, dialect.types, all_varchar=True)
    row = fetch_one(
        con,
        f"SELECT n, v FROM (SELECT row_number() OVER () AS n, {q} AS v FROM {source}) "
        f"WHERE v IS NOT NULL AND NOT regexp_full_match(v, ?) ORDER BY n LIMIT 1",
        [_INTEGER_TEXT_OVERRIDE],
    )
    n, value = row if row else (0, "")
    line = int(n) + dialect.skip + (1 if dialect.header else 0)
    return ValidationFailed(
        f"line {line}, column {column!r}: {value!r} is not a whole number, but the schema "
        f"override makes {column!r} an integer: fix the value or make the column decimal/string",
        field=column,
    )


def _reject_error(
    r: csvfile.Reject,
    source: Path,
    codec: str,
    dialect: csvfile.CsvDialect,
    options: IngestOptions,
) -> ValidationFailed:
    if r.kind.startswith("INVALID"):
        err = find_decode_error(source, codec)
        if err is not None:
            return ValidationFailed(
                undecodable_message(source, codec, err, detected=False), field="encoding"
            )
    if r.kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        expected, found = csvfile.column_counts(r, len(dialect.names))
        return ValidationFailed(
            f"the row on line {r.line} has {found} columns, expected {expected} (as in the "
            f"header): check that line for a missing value or an unquoted "
            f"{_delimiter_name(dialect.delimiter)}",
            field="rows",
        )
    if r.kind == "CAST" and r.column is not None:
        value = csvfile.cast_value(r)
        wanted = options.schema_override.get(r.column)
        why = (
            f"the schema override makes {r.column!r} {wanted}"
            if wanted
            else f"it does not fit the type detected for {r.column!r}"
        )
        return ValidationFailed(
            f"line {r.line}, column {r.column!r}: {value!r} is not valid — {why}; fix the value "
            "or change the override",
            field=r.column,
        )
    if r.kind == "UNQUOTED VALUE":
        return ValidationFailed(
            f"line {r.line}: a quoted value is not closed (or a quote is misplaced): check the "
            "quotes on that line",
            field="rows",
        )
    if r.kind == "LINE SIZE OVER MAXIMUM":
        return ValidationFailed(
            f"line {r.line} is longer than 2 MB: is this really a CSV file?", field="rows"
        )
    return ValidationFailed(f"line {r.line}: {r.message}", field="rows")


def detect_csv(
    con: duckdb.DuckDBPyConnection,
    utf8: Path,
    head: bytes,
    at_eof: bool,
    codec: str,
    options: IngestOptions,
) -> DetectedFormat:
    text = decode_head(head, codec, at_eof)
    delimiter = options.delimiter or csvfile.detect_delimiter(text)
    dialect = csvfile.sniff(
        con,
        utf8,
        delimiter=delimiter,
        header=options.header,
        whole_file=False,
        width=csvfile.modal_width(text, delimiter),
    )
    _name_columns(dialect, text)
    reader_types, selects = _csv_plan(con, utf8, dialect, options, {})
    source_sql = csvfile.read_csv_sql(utf8, dialect, reader_types)
    relation = f"(SELECT {', '.join(selects)} FROM {source_sql} LIMIT 10)"
    try:
        sample_cur = con.execute(f"SELECT * FROM {relation}")
        sample = [dict(zip(dialect.names, row, strict=True)) for row in sample_cur.fetchall()]
        described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except duckdb.Error:
        sample = []
        described = [(n, "VARCHAR") for n in dialect.names]
    columns = [ColumnSchema(name=str(r[0]), type=column_type(str(r[1]))) for r in described]
    return DetectedFormat(
        format="csv",
        encoding=codec,
        delimiter=delimiter,
        header=dialect.header,
        columns=columns,
        skip_rows=dialect.skip,
        sample=sample,
    )


@contextmanager
def utf8_head(
    source: Path, head: bytes, at_eof: bool, codec: str, *, whole: bool = False
) -> Iterator[Path]:
    """A UTF-8 file DuckDB can read: the source itself, or its first MiB transcoded
    (``whole``: all of it — a JSON array cut after a MiB would not parse)."""
    if is_utf8_name(codec):
        yield source
        return
    fd, name = tempfile.mkstemp(suffix=".txt", prefix="citybase-detect-")
    os.close(fd)
    target = Path(name)
    try:
        if whole:
            transcode_to_utf8(source, target, codec, detected=True)
        else:
            target.write_bytes(decode_head(head, codec, at_eof).encode("utf-8"))
        yield target
    finally:
        target.unlink(missing_ok=True)


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}.get(
        delimiter, repr(delimiter)
    )
