"""Pages of rows from a dataset's Parquet file: projection, filters, search, sort, paging.

Semantics (see docs/datahub-engine.md for examples):
- ``columns`` picks and orders the columns (all when None or empty). The pseudo-column
  ``$row`` is the 1-based row number in the file; it may be projected, filtered and sorted.
- ``filters`` are ANDed. Values are bound parameters cast to the column's type (a value
  that does not fit is refused, naming the filter). eq/lt/le/gt/ge/in/contains never match
  a null; ``ne`` does (null is "not equal"); eq/ne with value None mean is null / is not
  null; ``is_null`` takes True (default) or False; ``in`` takes a list (None in it matches
  nulls); ``contains`` is a case-insensitive substring test on the value's text.
- ``q`` is a case-insensitive substring searched in every text column.
- ``sort`` orders by the listed columns, nulls last in both directions; ties (and no sort)
  keep file order. Without a sort there is no ORDER BY at all: DuckDB returns a scan in
  file order, and LIMIT/OFFSET then skip whole row groups.
- ``limit``/``offset`` page by position; ``after`` pages by keyset: pass the previous
  page's ``next_after`` (the sort values of its last row plus its ``$row``) to get the rows
  that follow it — stable and as fast at row 900,000 as at row 100. ``next_after`` is None
  on the last page.
- ``total`` is the exact number of rows matching filters and ``q`` (paging ignored),
  cached per file version and filter set; a page that reaches the end of the matches
  (fewer rows than ``limit``) gives it without a second scan.
Unknown columns are refused with the list of columns that exist.
"""

# ruff: noqa: S608 - SQL text is assembled from quote_ident()/parquet_scan() pieces; every
# filter, search and keyset value is a bound $parameter.

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citybase.datahub.duck import (
    FileKey,
    fetch_one,
    parquet_duck_types,
    parquet_scan,
    parquet_schema,
    quote_ident,
    require_columns,
    thread_connection,
)
from citybase.datahub.types import ColumnSchema, RowFilter, RowPage, RowQuery
from citybase.errors import ValidationFailed

ROW_KEY = "$row"
_ROW_EXPR = "(file_row_number + 1)"
_TOTALS: OrderedDict[tuple[Any, ...], int] = OrderedDict()
_TOTALS_LOCK = threading.Lock()
_TOTALS_MAX = 4096


@dataclass
class Compiled:
    """A query turned into SQL over one file: SELECT list, WHERE, ORDER BY and parameters."""

    scan: str
    columns: list[ColumnSchema]
    select: list[str]
    types: dict[str, str]
    where: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    checks: list[tuple[str, str, bool, str, str]] = field(default_factory=list)

    def bind(self, value: Any) -> str:
        name = f"v{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def typed(self, value: Any, duck_type: str, column: str, where: str) -> str:
        """``value`` bound and cast to the column's type; checked in ``verify``."""
        name = self.bind(value)
        self.checks.append((name[1:], duck_type, isinstance(value, list), column, where))
        return f"CAST({name} AS {duck_type}{'[]' if isinstance(value, list) else ''})"

    def verify(self) -> None:
        """One query tells whether every bound value fits its column's type."""
        if not self.checks:
            return
        tests = [
            f"list_count(TRY_CAST(${n} AS {t}[])) = len(${n})"
            if is_list
            else f"TRY_CAST(${n} AS {t}) IS NOT NULL"
            for n, t, is_list, _, _ in self.checks
        ]
        used = {n: self.params[n] for n, *_ in self.checks}
        row = fetch_one(thread_connection(), f"SELECT {', '.join(tests)}", used)
        for ok, (n, t, _, column, where) in zip(row or (), self.checks, strict=True):
            if not ok:
                raise ValidationFailed(
                    f"{where}: {self.params[n]!r} is not a valid value for column "
                    f"{column!r} ({t.lower()})",
                    field=f"{where}.value" if where != "after" else "after",
                )
        self.checks.clear()

    @property
    def where_sql(self) -> str:
        return f" WHERE {' AND '.join(self.where)}" if self.where else ""


_PAGES: OrderedDict[tuple[FileKey, str], RowPage] = OrderedDict()
_PAGES_LOCK = threading.Lock()
_PAGES_MAX = 2048  # pages kept
_PAGE_CELLS_MAX = 20_000  # larger pages are not kept


def read_rows(path: Path, query: RowQuery) -> RowPage:
    """One page of rows (see the module docstring for the exact semantics).

    A version's file never changes once written, so a page is a pure function of the
    file's identity (path, inode, size, mtime) and the query: recent pages are kept in
    memory (least recently used out) and the same request from many clients — a popular
    open dataset's first page, a dashboard — costs no scan. Callers get their own copy of
    the page (rows are shared; nothing modifies a row dict in place).
    """
    key = (FileKey.of(path), query.model_dump_json())
    with _PAGES_LOCK:
        cached = _PAGES.get(key)
        if cached is not None:
            _PAGES.move_to_end(key)
    if cached is None:
        cached = _read_rows(path, query)
        if len(cached.rows) * max(len(cached.columns), 1) <= _PAGE_CELLS_MAX:
            with _PAGES_LOCK:
                _PAGES[key] = cached
                while len(_PAGES) > _PAGES_MAX:
                    _PAGES.popitem(last=False)
    return RowPage.model_construct(
        columns=list(cached.columns),
        rows=list(cached.rows),
        total=cached.total,
        next_after=cached.next_after,
    )


def _read_rows(path: Path, query: RowQuery) -> RowPage:
    compiled = compile_query(path, query)
    sort_keys = _sort_keys(query, compiled)
    filter_params = dict(compiled.params)
    filter_where = list(compiled.where)
    if query.after is not None:
        compiled.where.append(_keyset(query.after, sort_keys, compiled))
    hidden = [f"{expr} AS __k{i}" for i, (_, expr, _, _) in enumerate(sort_keys)]
    con = thread_connection()
    # Without a sort, no ORDER BY: DuckDB returns a Parquet scan in file order
    # (preserve_insertion_order), which lets LIMIT/OFFSET skip whole row groups.
    order = f" ORDER BY {', '.join(compiled.order)}" if compiled.order else ""
    result = con.execute(
        f"SELECT {', '.join(compiled.select + hidden)} FROM {compiled.scan}"
        f"{compiled.where_sql}{order} LIMIT {query.limit + 1} OFFSET {query.offset}",
        compiled.params,
    ).fetchall()
    names = [c.name for c in compiled.columns]
    width = len(names)
    more = len(result) > query.limit
    page = result[: query.limit]
    rows = [dict(zip(names, r[:width], strict=True)) for r in page]
    next_after = None
    if more and page:
        last = page[-1][width:]
        next_after = {name: last[i] for i, (name, _, _, _) in enumerate(sort_keys)}
    if query.after is None and not more and (page or query.offset == 0):
        # The page reached the end of the matches: their number is known without a scan.
        total = query.offset + len(page)
    else:
        total = _total(path, compiled.scan, filter_where, filter_params)
    return RowPage(columns=compiled.columns, rows=rows, total=total, next_after=next_after)


def compile_query(path: Path, query: RowQuery) -> Compiled:
    """Projection, filters, search and sort of ``query`` as SQL (paging left to the caller)."""
    schema = parquet_schema(path)
    duck_types = parquet_duck_types(path)
    by_name = {c.name: c for c in schema}
    known = [*by_name, ROW_KEY]
    wanted = list(dict.fromkeys(query.columns or [])) or [c.name for c in schema]
    require_columns(wanted, known, what="columns", field="columns")
    columns = [
        by_name.get(n) or ColumnSchema(name=ROW_KEY, type="integer", nullable=False) for n in wanted
    ]
    compiled = Compiled(
        scan=parquet_scan(path, row_numbers=True),
        columns=columns,
        select=[f"{column_expr(n)} AS {quote_ident(n)}" for n in wanted],
        types={**duck_types, ROW_KEY: "BIGINT"},
    )
    for i, flt in enumerate(query.filters):
        require_columns([flt.column], known, what=f"filters[{i}]", field=f"filters[{i}].column")
        compiled.where.append(_filter(i, flt, compiled.types[flt.column], compiled))
    if query.q:
        text_columns = [c.name for c in schema if c.type == "string"]
        if not text_columns:
            raise ValidationFailed(
                "q searches text columns, and this dataset has none: use filters instead", field="q"
            )
        compiled.where.append(
            "("
            + " OR ".join(_contains(quote_ident(n), query.q, compiled) for n in text_columns)
            + ")"
        )
    for i, (name, direction) in enumerate(query.sort):
        require_columns([name], known, what=f"sort[{i}]", field=f"sort[{i}]")
        if direction not in ("asc", "desc"):
            raise ValidationFailed(f"sort[{i}]: direction must be asc or desc", field=f"sort[{i}]")
        compiled.order.append(f"{column_expr(name)} {direction.upper()} NULLS LAST")
    if compiled.order:
        compiled.order.append("file_row_number ASC")
    compiled.verify()
    return compiled


# --- filters ---------------------------------------------------------------------------------


def column_expr(name: str) -> str:
    """SQL for a column name or the ``$row`` pseudo-column."""
    return _ROW_EXPR if name == ROW_KEY else quote_ident(name)


def _filter(i: int, flt: RowFilter, duck_type: str, compiled: Compiled) -> str:
    col = column_expr(flt.column)
    value = flt.value
    where = f"filters[{i}]"
    if flt.op == "is_null" or (flt.op in ("eq", "ne") and value is None):
        wants_null = _truthy(value, where) if flt.op == "is_null" else flt.op == "eq"
        return f"{col} IS NULL" if wants_null else f"{col} IS NOT NULL"
    if flt.op == "contains":
        if value is None or isinstance(value, list | dict):
            raise ValidationFailed(f"{where}: contains needs a text value", field=f"{where}.value")
        return _contains(f"CAST({col} AS VARCHAR)", str(value), compiled)
    if flt.op == "in":
        if not isinstance(value, list | tuple | set):
            raise ValidationFailed(f"{where}: in needs a list of values", field=f"{where}.value")
        items = list(value)
        present = [v for v in items if v is not None]
        test = (
            f"list_contains({compiled.typed(present, duck_type, flt.column, where)}, {col})"
            if present
            else "false"
        )
        return f"({test} OR {col} IS NULL)" if len(present) < len(items) else test
    if value is None or isinstance(value, list | dict):
        raise ValidationFailed(f"{where}: {flt.op} needs a single value", field=f"{where}.value")
    bound = compiled.typed(value, duck_type, flt.column, where)
    if flt.op == "ne":
        return f"{col} IS DISTINCT FROM {bound}"
    op = {"eq": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[flt.op]
    return f"{col} {op} {bound}"


def _contains(text: str, needle: str, compiled: Compiled) -> str:
    """Case-insensitive substring test; needles without letter case (Chinese, digits) skip
    lower() on every row, which is most of the cost."""
    if needle.lower() == needle.upper():
        return f"contains({text}, {compiled.bind(needle)})"
    return f"contains(lower({text}), {compiled.bind(needle.lower())})"


def _truthy(value: Any, where: str) -> bool:
    if value is None or value is True:
        return True
    if value is False:
        return False
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValidationFailed(
        f"{where}: is_null takes true or false, got {value!r}", field=f"{where}.value"
    )


# --- keyset paging ---------------------------------------------------------------------------


def _sort_keys(query: RowQuery, compiled: Compiled) -> list[tuple[str, str, str, str]]:
    """(name, SQL expression, direction, DuckDB type) of every ordering key, $row last."""
    keys: list[tuple[str, str, str, str]] = [
        (name, column_expr(name), direction, compiled.types[name])
        for name, direction in query.sort
        if name != ROW_KEY
    ]
    keys.append((ROW_KEY, _ROW_EXPR, "asc", "BIGINT"))
    return keys


def _keyset(
    after: dict[str, Any], keys: list[tuple[str, str, str, str]], compiled: Compiled
) -> str:
    """Rows strictly after the cursor in (sort keys, $row) order, nulls last."""
    missing = [name for name, _, _, _ in keys if name not in after]
    if missing:
        raise ValidationFailed(
            f"after: missing {', '.join(missing)} — pass next_after from the previous page "
            "unchanged (it holds the sort values of the last row and its $row)",
            field="after",
        )
    ors: list[str] = []
    equal: list[str] = []
    for name, expr, direction, duck_type in keys:
        value = after[name]
        if value is None:
            step = "false"  # nothing sorts after null within this key (nulls last)
            same = f"{expr} IS NULL"
        else:
            bound = compiled.typed(value, duck_type, name, "after")
            op = ">" if direction == "asc" else "<"
            step = f"({expr} {op} {bound} OR {expr} IS NULL)"
            same = f"{expr} = {bound}"
            if name == ROW_KEY:
                step = f"{expr} > {bound}"
        ors.append("(" + " AND ".join([*equal, step]) + ")")
        equal.append(same)
    compiled.verify()
    return "(" + " OR ".join(ors) + ")"


# --- totals ----------------------------------------------------------------------------------


def _total(path: Path, scan: str, where: list[str], params: dict[str, Any]) -> int:
    key = (FileKey.of(path), tuple(where), json.dumps(params, sort_keys=True, default=repr))
    with _TOTALS_LOCK:
        if key in _TOTALS:
            _TOTALS.move_to_end(key)
            return _TOTALS[key]
    where_sql = f" WHERE {' AND '.join(where)}" if where else ""
    row = fetch_one(thread_connection(), f"SELECT count(*) FROM {scan}{where_sql}", params)
    total = int(row[0]) if row else 0
    with _TOTALS_LOCK:
        _TOTALS[key] = total
        while len(_TOTALS) > _TOTALS_MAX:
            _TOTALS.popitem(last=False)
    return total
