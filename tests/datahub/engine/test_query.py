"""read_rows against a pure-Python reference: filters, search, sort, offset and keyset pages."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citybase.datahub.query import ROW_KEY, read_rows
from citybase.datahub.types import RowFilter, RowQuery
from citybase.errors import ValidationFailed

SCHEMA = pa.schema(
    [("n", pa.int64()), ("name", pa.string()), ("day", pa.date32()), ("score", pa.float64())]
)
NAMES = ["张三", "李四", "王五", "Alice", "alice", "Bob", "赵六"]


@st.composite
def tables(draw: st.DrawFn) -> list[dict[str, Any]]:
    size = draw(st.integers(0, 40))
    return [
        {
            "n": draw(st.none() | st.integers(-3, 3)),
            "name": draw(st.none() | st.sampled_from(NAMES)),
            "day": draw(st.none() | st.dates(dt.date(2024, 1, 1), dt.date(2024, 1, 5))),
            "score": draw(st.none() | st.sampled_from([0.5, 1.0, 2.25, -1.0])),
        }
        for _ in range(size)
    ]


VALUES = {
    "n": st.integers(-3, 3),
    "name": st.sampled_from(NAMES),
    "day": st.dates(dt.date(2024, 1, 1), dt.date(2024, 1, 5)),
    "score": st.sampled_from([0.5, 1.0, 2.25, -1.0]),
}


@st.composite
def filters(draw: st.DrawFn) -> RowFilter:
    column = draw(st.sampled_from(list(VALUES)))
    op = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "in", "is_null", "contains"]))
    if op == "in":
        value: Any = draw(st.lists(st.none() | VALUES[column], max_size=3))
    elif op == "is_null":
        value = draw(st.sampled_from([True, False]))
    elif op == "contains":
        column = "name"
        value = draw(st.sampled_from(["ali", "ALI", "三", "o", "x"]))
    else:
        value = draw(st.none() | VALUES[column]) if op in ("eq", "ne") else draw(VALUES[column])
    return RowFilter(column=column, op=op, value=value)


def matches(row: dict[str, Any], f: RowFilter) -> bool:
    v = row[f.column]
    if f.op == "is_null":
        return (v is None) == f.value
    if f.op in ("eq", "ne") and f.value is None:
        return (v is None) == (f.op == "eq")
    if f.op == "ne":
        return v is None or v != f.value
    if f.op == "in":
        return (v is None and None in f.value) or (v is not None and v in f.value)
    if v is None:
        return False
    if f.op == "contains":
        return f.value.lower() in v.lower()
    return {
        "eq": v == f.value,
        "lt": v < f.value,
        "le": v <= f.value,
        "gt": v > f.value,
        "ge": v >= f.value,
    }[f.op]


def reference(rows: list[dict[str, Any]], q: RowQuery) -> list[dict[str, Any]]:
    """The rows a query selects, in order, with $row (1-based file position) attached."""
    out = [
        dict(r, **{ROW_KEY: i + 1})
        for i, r in enumerate(rows)
        if all(matches(r, f) for f in q.filters)
        and (not q.q or any(v is not None and q.q.lower() in v.lower() for v in (r["name"],)))
    ]

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for col, direction in q.sort:
            x, y = a[col], b[col]
            if x == y:
                continue
            if x is None or y is None:  # nulls last in both directions
                return 1 if x is None else -1
            less = x < y
            return (-1 if less else 1) * (1 if direction == "asc" else -1)
        return a[ROW_KEY] - b[ROW_KEY]

    return sorted(out, key=functools.cmp_to_key(compare))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=tables(),
    flts=st.lists(filters(), max_size=2),
    sort=st.lists(
        st.tuples(st.sampled_from(list(VALUES)), st.sampled_from(["asc", "desc"])),
        max_size=2,
        unique_by=lambda s: s[0],
    ),
    search=st.none() | st.sampled_from(["ali", "三", "B"]),
    limit=st.integers(1, 7),
)
def test_pages_match_the_reference(
    work: Path,
    rows: list[dict[str, Any]],
    flts: list[RowFilter],
    sort: list[tuple[str, str]],
    search: str | None,
    limit: int,
) -> None:
    path = work / "out" / "t.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
    query = RowQuery(filters=flts, sort=sort, q=search, limit=limit)  # type: ignore[arg-type]
    expected = reference(rows, query)
    strip = [{k: v for k, v in r.items() if k != ROW_KEY} for r in expected]

    # keyset: follow next_after to the end
    seen: list[dict[str, Any]] = []
    after = None
    for _ in range(len(rows) + 2):
        page = read_rows(path, query.model_copy(update={"after": after}))
        assert page.total == len(expected)
        seen += page.rows
        after = page.next_after
        if after is None:
            break
    assert seen == strip

    # offset: the same rows, page by page
    by_offset: list[dict[str, Any]] = []
    for offset in range(0, len(expected) + limit, limit):
        by_offset += read_rows(path, query.model_copy(update={"offset": offset})).rows
    assert by_offset == strip


@pytest.fixture
def people(work: Path) -> Path:
    path = work / "out" / "people.parquet"
    rows = [
        {"n": i, "name": f"居民{i}", "day": dt.date(2024, 1, 1 + i % 28), "score": i / 4}
        for i in range(1, 251)
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
    return path


def test_projection_and_row_numbers(people: Path) -> None:
    page = read_rows(people, RowQuery(columns=["name", ROW_KEY], limit=2, offset=10))
    assert [c.name for c in page.columns] == ["name", ROW_KEY]
    assert page.rows == [{"name": "居民11", ROW_KEY: 11}, {"name": "居民12", ROW_KEY: 12}]
    assert page.next_after == {ROW_KEY: 12}


def test_filter_values_are_parameters_not_sql(people: Path) -> None:
    sneaky = "居民1' OR '1'='1"
    assert read_rows(people, RowQuery(filters=[RowFilter(column="name", value=sneaky)])).total == 0
    page = read_rows(people, RowQuery(filters=[RowFilter(column="name", op="contains", value="%")]))
    assert page.total == 0  # % is a character, not a wildcard


def test_odd_column_names_are_quoted(work: Path) -> None:
    path = work / "out" / "odd.parquet"
    pq.write_table(pa.table({'a"b; DROP': [1, 2], "x.y": ["p", "q"]}), path)
    page = read_rows(
        path,
        RowQuery(filters=[RowFilter(column='a"b; DROP', op="gt", value=1)], sort=[("x.y", "desc")]),
    )
    assert page.rows == [{'a"b; DROP': 2, "x.y": "q"}]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        (RowQuery(columns=["nme"]), "columns", ["'nme'", "name"]),
        (RowQuery(filters=[RowFilter(column="age", value=1)]), "filters[0].column", ["'age'"]),
        (RowQuery(sort=[("when", "asc")]), "sort[0]", ["'when'"]),
        (
            RowQuery(filters=[RowFilter(column="n", value="seven")]),
            "filters[0].value",
            ["'seven'", "'n'"],
        ),
        (
            RowQuery(filters=[RowFilter(column="day", op="in", value=["2024-01-01", "soon"])]),
            "filters[0].value",
            ["'day'"],
        ),
        (
            RowQuery(filters=[RowFilter(column="n", op="lt", value=None)]),
            "filters[0].value",
            ["single value"],
        ),
        (RowQuery(sort=[("n", "asc")], after={"n": 3}), "after", ["$row"]),
        (RowQuery(after={ROW_KEY: "x"}), "after", ["'x'"]),
    ],
)
def test_refusals_name_what_is_wrong(
    people: Path, query: RowQuery, field: str, words: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_rows(people, query)
    assert caught.value.field == field
    assert all(w in caught.value.message for w in words), caught.value.message


def test_q_without_text_columns_is_refused(work: Path) -> None:
    path = work / "out" / "nums.parquet"
    pq.write_table(pa.table({"n": [1, 2]}), path)
    with pytest.raises(ValidationFailed) as caught:
        read_rows(path, RowQuery(q="1"))
    assert caught.value.field == "q"


def test_total_counts_all_matches_and_last_page_has_no_cursor(people: Path) -> None:
    q = RowQuery(filters=[RowFilter(column="score", op="ge", value=60)], limit=5)
    page = read_rows(people, q)
    assert page.total == 11 and len(page.rows) == 5
    last = read_rows(people, q.model_copy(update={"offset": 10}))
    assert len(last.rows) == 1 and last.next_after is None
    assert read_rows(people, q.model_copy(update={"limit": 0})).rows == []


def test_reading_a_replaced_file_sees_the_new_content(work: Path) -> None:
    path = work / "out" / "v.parquet"
    pq.write_table(pa.table({"n": [1, 2, 3]}), path)
    assert read_rows(path, RowQuery()).total == 3
    pq.write_table(pa.table({"n": [1]}), path)
    assert read_rows(path, RowQuery()).total == 1


def test_pages_from_many_threads_at_once(people: Path) -> None:
    """Each web thread gets its own DuckDB connection onto one shared database."""
    from concurrent.futures import ThreadPoolExecutor

    def page(offset: int) -> list[int]:
        rows = read_rows(people, RowQuery(columns=[ROW_KEY], limit=10, offset=offset)).rows
        return [r[ROW_KEY] for r in rows]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(page, range(0, 240, 10)))
    assert results == [list(range(o + 1, o + 11)) for o in range(0, 240, 10)]
