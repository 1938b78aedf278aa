"""Quality rules run against a loaded Parquet file, vectorised in DuckDB.

All row-level rules are answered by ONE scan: each rule becomes a boolean "this row fails"
column and one aggregate counts them all; failing samples are fetched afterwards only for
rules that failed. ``unique`` needs a grouping of its own, ``freshness`` one ``max``, and a
GB 11643 checksum on a text column one streaming read of that column (numpy, see
``checksums.gb11643_failures``).

Semantics, per kind (``params`` in brackets):
- not_null — every row is checked; null and blank (whitespace-only) text fail.
- unique — non-null values are checked; every row whose value occurs more than once fails
  (so two rows with the same ID number are both reported).
- regex [pattern] — the value's text must match the whole RE2 pattern (``^``/``$`` optional).
- allowed_values [values] — the value must equal one of the values (compared in the
  column's type, so ``[1, 2]`` works on an integer column and ``["1"]`` too).
- range [min?, max?] — inclusive bounds in the column's type (numbers, dates, timestamps,
  text compares alphabetically).
- reference [dataset, column] — the value must occur in that column of the referenced
  dataset's file (``references[(dataset, column)]``), compared as text if the types differ.
- checksum [scheme: gb11643 | gb32100 | luhn] — see ``checksums``.
- freshness [max_age_days, column?] — dataset-level (checked = 1): the newest ``column``
  value, or without a column the load time ``loaded_at``, must be at most ``max_age_days``
  old now (unknown load time: stale).
Nulls are only ever failed by not_null. Score = passing share of checked rows (1.0 when
nothing was checked); the report's score is the mean over rules.
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/parquet_scan() pieces and the
# engine's own expressions; every value from a rule's params is a bound $parameter.

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from citybase.datahub import checksums
from citybase.datahub.duck import (
    ROW_NUMBER,
    fetch_one,
    parquet_duck_types,
    parquet_scan,
    parquet_schema,
    quote_ident,
    thread_connection,
)
from citybase.datahub.rule_kinds import Freshness, Plan, Target, kind_of, today_ymd
from citybase.datahub.score import report_score
from citybase.datahub.types import ColumnSchema, QualityReport, QualityRule, RuleResult
from citybase.errors import ValidationFailed

_ROW = ROW_NUMBER


def run_rules(
    path: Path,
    rules: list[QualityRule],
    *,
    references: dict[tuple[str, str], Path] | None = None,
    loaded_at: dt.datetime | None = None,
    sample_size: int = 5,
) -> QualityReport:
    """Check ``path`` against ``rules``; a rule naming an unknown column is refused first."""
    schema = {c.name: c for c in parquet_schema(path)}
    duck_types = parquet_duck_types(path)
    con = thread_connection()
    checksums.register_tables(con)
    now = _utcnow()
    plans = [
        _plan(con, i, rule, schema, duck_types, references or {}, now)
        for i, rule in enumerate(rules)
    ]
    if not plans:
        return QualityReport(score=1.0, results=[])
    relation = _relation(path, plans)
    params: dict[str, Any] = {}
    for p in plans:
        params.update(p.params)
    counts = _count(con, relation, plans, params)
    results = []
    for p in plans:
        checked, failed = counts[p.index]
        samples: list[dict[str, Any]] = []
        if p.rule.kind == "unique" and p.column is not None:
            failed, groups, samples = _duplicates(con, path, p.column, sample_size)
            p.detail = f" ({groups:,} values are duplicated)" if groups else ""
        elif p.rule.kind == "freshness":
            checked, failed = 1, _stale(con, path, p, now, loaded_at)
        elif p.numpy_check and p.column is not None:
            failed, found = checksums.gb11643_failures(
                con,
                parquet_scan(path),
                p.column,
                today_ymd=today_ymd(now),
                limit=max(sample_size, 0),
            )
            samples = [{"row": n, p.column: v} for n, v in found]
        elif failed and sample_size > 0:
            samples = _samples(con, relation, p, params, sample_size)
        score = 1.0 if checked == 0 else round(1 - failed / checked, 6)
        results.append(
            RuleResult(
                rule=p.rule,
                checked=checked,
                failed=failed,
                score=score,
                samples=samples,
                message=_message(p, checked, failed),
            )
        )
    return QualityReport(score=report_score(results), results=results)


# --- planning: validate each rule and turn it into SQL -----------------------------------


def _plan(
    con: duckdb.DuckDBPyConnection,
    i: int,
    rule: QualityRule,
    schema: dict[str, ColumnSchema],
    duck_types: dict[str, str],
    references: dict[tuple[str, str], Path],
    now: dt.datetime,
) -> Plan:
    """Check the rule's column, then let its kind (``rule_kinds``) make the SQL."""
    label = rule.name or f"{rule.kind}({rule.column or 'load time'})"
    p = Plan(index=i, rule=rule, label=label, column=rule.column)
    where = f"rules[{i}]"

    def refuse(message: str, part: str = "params") -> ValidationFailed:
        return ValidationFailed(f"quality rule {label!r}: {message}", field=f"{where}.{part}")

    if rule.column is not None and rule.column not in schema:
        known = ", ".join(list(schema)[:30])
        raise refuse(f"column {rule.column!r} is not in the dataset (columns: {known})", "column")
    kind = kind_of(rule.kind)
    if rule.column is None and kind.needs_column:
        raise refuse(f"a {rule.kind} rule needs a column", "column")
    if isinstance(kind, Freshness):
        kind.plan_dataset(p, schema, refuse)
        return p
    assert rule.column is not None
    target = Target(
        q=quote_ident(rule.column),
        col=schema[rule.column],
        duck_type=duck_types[rule.column],
        key=f"p{i}",
        con=con,
        references=references,
        today_ymd=today_ymd(now),
    )
    kind.plan(p, target, refuse)
    if p.fail is not None and not kind.checks_nulls:
        p.fail = f"({target.q} IS NOT NULL AND coalesce({p.fail}, false))"
    return p


# --- running ---------------------------------------------------------------------------------


def _relation(path: Path, plans: list[Plan]) -> str:
    """Nested SELECTs: each level adds the rules' staged projections, the last the tests."""
    sql = f"SELECT * FROM {parquet_scan(path, row_numbers=True)}"
    depth = max((len(p.stages) for p in plans), default=0)
    for level in range(depth):
        exprs = [e for p in plans if len(p.stages) > level for e in p.stages[level]]
        sql = f"SELECT *, {', '.join(exprs)} FROM ({sql})"
    fails = [f"{p.fail} AS __fail{p.index}" for p in plans if p.fail]
    if fails:
        sql = f"SELECT *, {', '.join(fails)} FROM ({sql})"
    return f"({sql})"


def _count(
    con: duckdb.DuckDBPyConnection, relation: str, plans: list[Plan], params: dict[str, Any]
) -> dict[int, tuple[int, int]]:
    parts = ["count(*)"]
    for p in plans:
        parts.append(
            f"count({quote_ident(p.column)})"
            if p.column and p.rule.kind != "not_null"
            else "count(*)"
        )
        parts.append(f"count(*) FILTER (WHERE __fail{p.index})" if p.fail else "0")
    row = fetch_one(con, f"SELECT {', '.join(parts)} FROM {relation}", params)
    assert row is not None
    return {p.index: (int(row[1 + 2 * k]), int(row[2 + 2 * k])) for k, p in enumerate(plans)}


def _samples(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    p: Plan,
    params: dict[str, Any],
    limit: int,
) -> list[dict[str, Any]]:
    assert p.column is not None
    # No ORDER BY: DuckDB keeps file order, so the scan can stop at the first failures.
    rows = con.execute(
        f"SELECT {_ROW} + 1, {quote_ident(p.column)} FROM {relation} WHERE __fail{p.index} "
        f"LIMIT {int(limit)}",
        params,
    ).fetchall()
    return sorted(({"row": int(n), p.column: v} for n, v in rows), key=lambda r: r["row"])


def _duplicates(
    con: duckdb.DuckDBPyConnection, path: Path, column: str, limit: int
) -> tuple[int, int, list[dict[str, Any]]]:
    """(rows sharing a value, duplicated values, sample rows) with one grouping pass.

    The first ``limit`` failing rows belong to the ``limit`` duplicated values that occur
    first. When each of those occurs exactly twice, their first and last rows are all of
    their rows, so the samples need no second scan (the usual case: a person registered
    twice); otherwise the rows holding those values are fetched.
    """
    q = quote_ident(column)
    row = fetch_one(
        con,
        f"SELECT coalesce(sum(n), 0), count(*), "
        f"min_by({{'v': v, 'n': n, 'first': first, 'last': last}}, first, {max(int(limit), 1)}) "
        f"FROM (SELECT {q} AS v, count(*) AS n, min({_ROW}) AS first, max({_ROW}) AS last "
        f"FROM {parquet_scan(path, row_numbers=True)} WHERE {q} IS NOT NULL GROUP BY {q} "
        f"HAVING count(*) > 1)",
    )
    assert row is not None
    failed, groups, earliest = int(row[0]), int(row[1]), list(row[2] or [])
    if not failed or limit <= 0:
        return failed, groups, []
    if all(g["n"] == 2 for g in earliest):
        pairs = sorted((int(g[at]), g["v"]) for g in earliest for at in ("first", "last"))
        return failed, groups, [{"row": n + 1, column: v} for n, v in pairs[:limit]]
    rows = con.execute(
        f"SELECT {_ROW} + 1, {q} FROM {parquet_scan(path, row_numbers=True)} "
        f"WHERE list_contains($v, {q}) ORDER BY {_ROW} LIMIT {int(limit)}",
        {"v": [g["v"] for g in earliest]},
    ).fetchall()
    return failed, groups, [{"row": int(n), column: v} for n, v in rows]


def _stale(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    p: Plan,
    now: dt.datetime,
    loaded_at: dt.datetime | None,
) -> int:
    """1 when the data is older than allowed: its newest ``column`` value, or its load time."""
    max_age = float(p.rule.params["max_age_days"])
    newest: dt.datetime | dt.date | None
    if p.column is None:
        newest = _naive_utc(loaded_at) if loaded_at is not None else None
        what = "loaded"
    else:
        row = fetch_one(con, f"SELECT max({quote_ident(p.column)}) FROM {parquet_scan(path)}")
        newest = row[0] if row else None
        what = f"newest {p.column}"
    if newest is None:
        p.detail = f": {p.column} is empty" if p.column else ": the load time is unknown"
        return 1
    if isinstance(newest, dt.datetime):
        age = (now - _naive_utc(newest)).total_seconds() / 86400
    else:
        age = float((now.date() - newest).days)
    p.detail = f": {what} {newest.isoformat()}, {age:.1f} days ago"
    return 1 if age > max_age else 0


def _message(p: Plan, checked: int, failed: int) -> str:
    if p.rule.kind == "freshness":
        limit = p.rule.params.get("max_age_days")
        verdict = "too old" if failed else "fresh"
        return f"{verdict}{p.detail} (allowed {limit} days)"
    return f"{failed:,} of {checked:,} {kind_of(p.rule.kind).what(p)}"


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
