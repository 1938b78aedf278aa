"""CSV dialect, header and column types, and the DuckDB ``read_csv`` that loads the file.

Detection, in order:
1. delimiter — ours, from the first MiB: of ``, \\t ; |`` the one that splits most lines into
   the same number (>= 2) of fields (ties: that order). DuckDB's own sniffer picks "one
   column" for a file with a single ragged row, which would hide the error we must report.
2. quotes, title lines to skip, header and types — DuckDB's sniffer with that delimiter on
   the first 20,480 rows. Quote ``"`` is always enabled (RFC 4180).
3. column names — parsed by us from the header line, so empty and duplicate names are
   reported instead of silently renamed.
Types are then fixed up: digit strings longer than 15 digits (identity numbers, bank cards)
are identifiers, not numbers, and stay text; times of day stay text; zoned timestamps are
stored in UTC.
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/sql_string() pieces and the
# engine's own type names; every value a user supplies is a bound parameter.

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from citybase.datahub.duck import ROW_NUMBER, fetch_one, quote_ident, sql_string
from citybase.datahub.filenames import shown
from citybase.errors import ValidationFailed

DELIMITERS = (",", "\t", ";", "|")
SAMPLE_ROWS = 20_480
TYPE_CANDIDATES = ("BOOLEAN", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "TIMESTAMPTZ", "VARCHAR")
MAX_NUMBER_DIGITS = 15
_DIGITS_IN_MESSAGE = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_CAST_VALUE = re.compile(r'Could not convert string "(.*)" to', re.S)


@dataclass
class CsvDialect:
    delimiter: str
    quote: str = '"'
    escape: str = '"'
    skip: int = 0
    header: bool = True
    dateformat: str | None = None
    timestampformat: str | None = None
    names: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)


def detect_delimiter(text: str) -> str:
    """The delimiter that gives the most lines the same field count (see module docstring)."""
    return _dialect_votes(text)[0]


def modal_width(text: str, delimiter: str) -> int:
    """The field count most lines of ``text`` have with ``delimiter``."""
    lines = [ln for ln in text.splitlines()[:2000] if ln.strip()]
    counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
    return Counter(counts).most_common(1)[0][0] if counts else 1


def _dialect_votes(text: str) -> tuple[str, int]:
    lines = [ln for ln in text.splitlines()[:2000] if ln.strip()]
    scored: list[tuple[float, int, int, str]] = []
    for rank, delim in enumerate(DELIMITERS):
        counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delim)]
        if not counts:
            continue
        width, freq = Counter(counts).most_common(1)[0]
        if width >= 2:
            scored.append((freq / len(counts), width, -rank, delim))
    if not scored:
        return ",", 1
    best = max(scored)
    return best[3], best[1]


def header_names(text: str, dialect: CsvDialect) -> list[str]:
    """The first record after the skipped lines, parsed with the detected dialect."""
    lines = text.split("\n")[dialect.skip :]
    reader = csv.reader(
        io.StringIO("\n".join(lines)), delimiter=dialect.delimiter, quotechar=dialect.quote or '"'
    )
    first = next(reader, [])
    return [name.strip() for name in first]


def check_names(names: list[str], *, where: str) -> None:
    """Every column needs a unique, non-empty name (DuckDB names are case-insensitive);
    ``file_row_number`` is DuckDB's row position and cannot be a column's name."""
    for i, name in enumerate(names, start=1):
        if name.casefold() == ROW_NUMBER:
            raise ValidationFailed(
                f"column {i} is named {name!r}, a name the data hub reserves for row "
                f"positions, in {where}: rename that column",
                field="header",
            )
        if not name:
            raise ValidationFailed(
                f"column {i} has no name in {where}: give every column a header",
                field="header",
            )
    seen: dict[str, int] = {}
    dupes: list[str] = []
    for i, name in enumerate(names, start=1):
        key = name.casefold()
        if key in seen:
            dupes.append(f"{name!r} (columns {seen[key]} and {i})")
        else:
            seen[key] = i
    if dupes:
        raise ValidationFailed(
            f"duplicate column names in {where}: {', '.join(dupes)} — rename them so each "
            "column has its own name",
            field="header",
        )


def sniff(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    delimiter: str,
    header: bool | None,
    whole_file: bool,
    width: int | None = None,
) -> CsvDialect:
    """DuckDB's sniffer with our delimiter; ``whole_file`` samples every row (slow, exact).

    ``width`` is the field count most lines of the head have (``modal_width``).
    """
    args = [
        f"delim={sql_string(delimiter)}",
        "null_padding=false",
        f"sample_size={-1 if whole_file else SAMPLE_ROWS}",
        "auto_type_candidates=[" + ", ".join(sql_string(t) for t in TYPE_CANDIDATES) + "]",
    ]
    if header is not None:
        args.append(f"header={'true' if header else 'false'}")
    # Strict first (it finds title lines to skip); tolerant when a ragged row defeats it or
    # makes it settle on a few consistent lines (a width other than most lines have).
    row = None
    failure: duckdb.Error | None = None
    for extra in ("", ", ignore_errors=true"):
        sql = f"SELECT * FROM sniff_csv({sql_string(str(path))}, {', '.join(args)}{extra})"
        try:
            row = fetch_one(con, sql)
        except duckdb.Error as exc:
            failure = exc
            continue
        if row is not None and (width is None or len(row[7]) == width):
            break
    if row is None:
        why = _first_line(failure) if failure is not None else "no rows"
        raise ValidationFailed(
            f"{shown(path)}: the CSV layout could not be recognised ({why}); "
            "set the delimiter explicitly",
            field="delimiter",
        )
    assert row is not None
    names = [str(c["name"]) for c in row[7]]
    types = [str(c["type"]) for c in row[7]]
    quote = "" if row[1] == "(empty)" else str(row[1])
    escape = "" if row[2] == "(empty)" else str(row[2])
    if not quote:
        quote, escape = '"', '"'
    return CsvDialect(
        delimiter=delimiter,
        quote=quote,
        escape=escape or quote,
        skip=int(row[5]),
        header=bool(row[6]),
        dateformat=row[8] or None,
        timestampformat=row[9] or None,
        names=names,
        types=types,
    )


def read_csv_sql(
    path: Path, dialect: CsvDialect, types: list[str], *, all_varchar: bool = False
) -> str:
    """``read_csv(...)`` with everything explicit and rejected rows recorded, not fatal."""
    cols = ", ".join(
        f"{sql_string(name)}: {sql_string('VARCHAR' if all_varchar else t)}"
        for name, t in zip(dialect.names, types, strict=True)
    )
    args = [
        "auto_detect=false",
        f"delim={sql_string(dialect.delimiter)}",
        f"quote={sql_string(dialect.quote)}",
        f"escape={sql_string(dialect.escape)}",
        f"skip={dialect.skip}",
        f"header={'true' if dialect.header else 'false'}",
        f"columns={{{cols}}}",
        "null_padding=false",
        "ignore_errors=true",
        "store_rejects=true",
        "rejects_limit=20",
    ]
    if dialect.dateformat:
        args.append(f"dateformat={sql_string(dialect.dateformat)}")
    if dialect.timestampformat:
        args.append(f"timestampformat={sql_string(dialect.timestampformat)}")
    return f"read_csv({sql_string(str(path))}, {', '.join(args)})"


def long_digit_columns(
    con: duckdb.DuckDBPyConnection, path: Path, dialect: CsvDialect, candidates: list[str]
) -> set[str]:
    """Numeric-looking columns holding whole numbers of more than 15 digits in the sample:
    bank cards, identity numbers — identifiers that a float would round."""
    if not candidates:
        return set()
    long_number = sql_string(rf"\s*[+-]?[0-9]{{{MAX_NUMBER_DIGITS + 1},}}\s*")
    probes = ", ".join(
        f"coalesce(bool_or(regexp_full_match({quote_ident(c)}, {long_number})), false)"
        for c in candidates
    )
    source = read_csv_sql(path, dialect, dialect.types, all_varchar=True)
    row = fetch_one(con, f"SELECT {probes} FROM (SELECT * FROM {source} LIMIT {SAMPLE_ROWS})")
    assert row is not None
    return {c for c, flag in zip(candidates, row, strict=True) if flag}


def decimal_scales(
    con: duckdb.DuckDBPyConnection, path: Path, dialect: CsvDialect, columns: list[str]
) -> dict[str, int]:
    """Largest number of fractional digits in each column (for DECIMAL overrides)."""
    if not columns:
        return {}
    probes = ", ".join(
        f"coalesce(max(length(split_part(trim({quote_ident(c)}), '.', 2))), 0)" for c in columns
    )
    source = read_csv_sql(path, dialect, dialect.types, all_varchar=True)
    row = fetch_one(con, f"SELECT {probes} FROM {source}")
    assert row is not None
    return {c: min(int(v), 18) for c, v in zip(columns, row, strict=True)}


@dataclass(frozen=True)
class Reject:
    line: int
    column: str | None
    kind: str
    raw: str
    message: str


def first_rejects(con: duckdb.DuckDBPyConnection) -> list[Reject]:
    """Rows DuckDB refused in the last ``read_csv``, first line first."""
    try:
        rows = con.execute(
            "SELECT line, column_name, error_type, csv_line, error_message FROM reject_errors "
            "ORDER BY line, column_idx LIMIT 20"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [Reject(int(r[0]), r[1], str(r[2]), str(r[3] or ""), str(r[4] or "")) for r in rows]


def column_counts(reject: Reject, expected: int) -> tuple[int, int]:
    """(expected, found) field counts for a ragged row."""
    m = _DIGITS_IN_MESSAGE.search(reject.message)
    if m:
        return int(m.group(1)), int(m.group(2))
    first = next(csv.reader(io.StringIO(reject.raw)), [])
    return expected, len(first)


def cast_value(reject: Reject) -> str:
    """The value a CAST reject could not convert, as written in the file."""
    m = _CAST_VALUE.search(reject.message)
    if m:
        return m.group(1)
    return reject.raw


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[1] if len(text) > 1 and "Error" in text[0] else (text[0] if text else "")
