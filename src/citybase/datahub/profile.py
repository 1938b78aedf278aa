"""Column profiles of a loaded Parquet file, and schema drift between two versions.

A profile is what a data steward looks at before trusting a dataset: the type, the share of
empty cells, how many different values, the range, and the most common values. Columns
that carry personal data (``mask_columns``, the catalog's PII-tagged columns) get no top
values and no min/max — those would print names and ID numbers on a catalog page.

Cost is one scan for all columns (counts, min/max and a HyperLogLog distinct estimate) plus
one grouping per column that needs exact answers:
- files of up to 100,000 rows: every distinct count is exact;
- larger files: a column whose estimate is at most half its non-null values (categories,
  dates, names) is grouped, giving an exact distinct count and exact top values; a
  near-unique column (identity numbers, phones, addresses, amounts) keeps the estimate
  (``distinct_exact=False``, DuckDB's ``approx_count_distinct``, typically within 2 %) and
  has no top values — they would all be counts of 1 or 2. Grouping those columns exactly
  would cost more than loading the file; the ``unique`` quality rule counts duplicates
  exactly where they matter.
A column whose values are all different has no top values.
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/parquet_scan() pieces.

from __future__ import annotations

from pathlib import Path

from citybase.datahub.duck import (
    fetch_one,
    parquet_row_count,
    parquet_scan,
    parquet_schema,
    quote_ident,
    thread_connection,
)
from citybase.datahub.types import ColumnProfile, ColumnSchema, SchemaDrift, TopValue

#: Files up to this many rows get exact distinct counts in every column.
EXACT_ROWS = 100_000
#: Above EXACT_ROWS, columns whose estimated distinct share of non-null values is at most
#: this are grouped exactly.
EXACT_SHARE = 0.5
_NO_RANGE = ("binary", "boolean")


def profile_parquet(
    path: Path, *, top_n: int = 5, mask_columns: set[str] | frozenset[str] = frozenset()
) -> list[ColumnProfile]:
    """One profile per column, in file order."""
    con = thread_connection()
    schema = parquet_schema(path)
    rows = parquet_row_count(path)
    scan = parquet_scan(path)
    parts: list[str] = []
    for col in schema:
        q = quote_ident(col.name)
        ranged = col.name not in mask_columns and col.type not in _NO_RANGE
        parts += [
            f"count({q})",
            f"min({q})" if ranged else "NULL",
            f"max({q})" if ranged else "NULL",
            f"approx_count_distinct({q})",
        ]
    stats = fetch_one(con, f"SELECT {', '.join(parts)} FROM {scan}") if parts else ()
    assert stats is not None
    profiles = []
    for i, col in enumerate(schema):
        non_null, low, high, estimate = stats[i * 4 : (i + 1) * 4]
        non_null = int(non_null)
        estimate = min(int(estimate), non_null)
        exact = rows <= EXACT_ROWS or estimate <= EXACT_SHARE * non_null
        top: list[TopValue] = []
        if non_null == 0:
            distinct = 0
        elif exact:
            shows_top = col.name not in mask_columns and col.type != "binary" and top_n > 0
            distinct, top = _group(col, scan, top_n if shows_top else 0)
        else:
            distinct = estimate
        if distinct == non_null:
            top = []
        profiles.append(
            ColumnProfile(
                name=col.name,
                type=col.type,
                null_share=round((rows - non_null) / rows, 6) if rows else 0.0,
                distinct_count=distinct,
                distinct_exact=exact or non_null == 0,
                min=low,
                max=high,
                top_values=top,
            )
        )
    return profiles


def schema_drift(old: list[ColumnSchema], new: list[ColumnSchema]) -> SchemaDrift:
    """Columns added, removed, or whose type changed between two versions (by name)."""
    before = {c.name: c for c in old}
    after = {c.name: c for c in new}
    return SchemaDrift(
        added=[c for c in new if c.name not in before],
        removed=[c for c in old if c.name not in after],
        type_changed=[
            (c.name, before[c.name].type, c.type)
            for c in new
            if c.name in before and before[c.name].type != c.type
        ],
    )


def _group(col: ColumnSchema, scan: str, top_n: int) -> tuple[int, list[TopValue]]:
    """Exact distinct count and the ``top_n`` most common values (ties: smallest first)."""
    con = thread_connection()
    q = quote_ident(col.name)
    if top_n <= 0:
        row = fetch_one(con, f"SELECT count(DISTINCT {q}) FROM {scan}")
        return (int(row[0]) if row else 0), []
    result = con.execute(
        f"SELECT v, n, count(*) OVER () FROM (SELECT {q} AS v, count(*) AS n FROM {scan} "
        f"WHERE {q} IS NOT NULL GROUP BY {q}) ORDER BY n DESC, v LIMIT {int(top_n)}"
    ).fetchall()
    if not result:
        return 0, []
    return int(result[0][2]), [TopValue(value=v, count=int(n)) for v, n, _ in result]
