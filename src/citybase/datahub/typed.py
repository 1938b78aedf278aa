"""The typed write every non-CSV source ends with, and what the engine reads back from it.

A source is described (names and DuckDB types), checked (overrides name real columns and
their values fit), then copied once into the temporary Parquet file with every column cast
to one of the engine's eight logical types.
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/sql_string() pieces and the
# engine's own type names; every value a user supplies is a bound parameter.

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from citybase.datahub.duck import (
    DUCK_TYPES,
    PARQUET_OPTIONS,
    column_type,
    fetch_one,
    normalising_cast,
    parquet_null_counts,
    parquet_row_count,
    quote_ident,
    sql_string,
)
from citybase.datahub.types import ColumnSchema, ColumnType, IngestOptions
from citybase.errors import ValidationFailed

#: 1-based record/row number column of ``numbered_sql`` relations.
ROW = "__citybase_n"
#: A whole number as written; "1.5" is not one (DuckDB's own cast would round it).
INTEGER_TEXT = r"\s*[+-]?[0-9]+\s*"


@dataclass(frozen=True)
class ParquetFacts:
    rows: int
    nulls: dict[str, int]


def parquet_nulls_and_rows(path: Path) -> ParquetFacts:
    """Row count and per-column null counts from the footer (no data pages read)."""
    return ParquetFacts(rows=parquet_row_count(path), nulls=parquet_null_counts(path))


def require_override_columns(overrides: dict[str, ColumnType], names: list[str]) -> None:
    known = set(names)
    for name in overrides:
        if name not in known:
            raise ValidationFailed(
                f"schema_override names column {name!r}, which is not in the file "
                f"(columns: {', '.join(names[:30])})",
                field=f"schema_override.{name}",
            )


def write_typed(
    con: duckdb.DuckDBPyConnection,
    *,
    source_sql: str,
    numbered_sql: str,
    columns: list[tuple[str, str]],
    options: IngestOptions,
    tmp: Path,
    row_label: str,
) -> None:
    """COPY ``source_sql`` into ``tmp`` with overrides applied and every type normalised.

    ``numbered_sql`` is the same rows with a 1-based ``__citybase_n`` column, used only to
    name the first value that does not fit an override.
    """
    overrides = options.schema_override
    require_override_columns(overrides, [n for n, _ in columns])
    selects = []
    for name, duck_type in columns:
        q = quote_ident(name)
        wanted = overrides.get(name)
        if wanted is None:
            expr, _ = normalising_cast(q, duck_type)
            selects.append(f"{expr} AS {q}")
            continue
        text = _as_text(q, duck_type)
        target = _override_type(con, source_sql, text, wanted)
        if wanted != "string":
            ok = (
                f"regexp_full_match(v, {sql_string(INTEGER_TEXT)})"
                if wanted == "integer"
                else f"TRY_CAST(v AS {target}) IS NOT NULL"
            )
            bad = fetch_one(
                con,
                f"SELECT {ROW}, v FROM (SELECT {ROW}, {text} AS v FROM {numbered_sql}) "
                f"WHERE v IS NOT NULL AND NOT ({ok}) ORDER BY {ROW} LIMIT 1",
            )
            if bad is not None:
                raise ValidationFailed(
                    f"{row_label} {bad[0]}, column {name!r}: {bad[1]!r} is not a valid "
                    f"{wanted}, but the schema override makes {name!r} {wanted}: fix the "
                    "value or change the override",
                    field=name,
                )
        selects.append(f"CAST({text} AS {target}) AS {q}")
    con.execute(
        f"COPY (SELECT {', '.join(selects)} FROM {source_sql}) "
        f"TO {sql_string(str(tmp))} ({PARQUET_OPTIONS})"
    )


def _as_text(q: str, duck_type: str) -> str:
    t = duck_type.upper()
    if t == "VARCHAR":
        return q
    if t == "JSON":
        return f"json_extract_string({q}, '$')"
    expr, target = normalising_cast(q, duck_type)
    return expr if target == "VARCHAR" else f"CAST({expr} AS VARCHAR)"


def _override_type(
    con: duckdb.DuckDBPyConnection, source_sql: str, text: str, wanted: ColumnType
) -> str:
    if wanted != "decimal":
        return DUCK_TYPES[wanted]
    row = fetch_one(
        con, f"SELECT coalesce(max(length(split_part(trim({text}), '.', 2))), 0) FROM {source_sql}"
    )
    scale = min(int(row[0]) if row else 0, 18)
    return f"DECIMAL(38, {scale})"


def preview(
    con: duckdb.DuckDBPyConnection,
    source_sql: str,
    columns: list[tuple[str, str]],
    options: IngestOptions,
) -> tuple[list[ColumnSchema], list[dict[str, object]]]:
    """Columns as they would load (overrides applied) and the first 10 rows."""
    selects = []
    for name, duck_type in columns:
        q = quote_ident(name)
        wanted = options.schema_override.get(name)
        if wanted is None:
            expr, _ = normalising_cast(q, duck_type)
        else:
            target = "DECIMAL(38, 10)" if wanted == "decimal" else DUCK_TYPES[wanted]
            expr = f"TRY_CAST({_as_text(q, duck_type)} AS {target})"
        selects.append(f"{expr} AS {q}")
    relation = f"(SELECT {', '.join(selects)} FROM {source_sql} LIMIT 10)"
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    schema = [ColumnSchema(name=str(r[0]), type=column_type(str(r[1]))) for r in described]
    names = [c.name for c in schema]
    rows = con.execute(f"SELECT * FROM {relation}").fetchall()
    return schema, [dict(zip(names, r, strict=True)) for r in rows]
