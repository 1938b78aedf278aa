"""Reading CKAN parameters: fq, sort, loose scalars, datastore filters — examples and properties."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citybase.datahub.types import ColumnSchema
from citybase.errors import ValidationFailed
from citybase.opendata.ckan_fq import looks_like_field_query, parse_fq
from citybase.opendata.ckan_params import (
    SearchQueryInvalid,
    get_bool,
    get_int,
    get_str_list,
    parse_sort,
)
from citybase.opendata.datastore_params import (
    ckan_fields,
    coerce_value,
    parse_datastore_sort,
    parse_fields,
    parse_filters,
    parse_q,
    record_value,
)

FIELDS = {
    "organization": "text",
    "tags": "text",
    "res_format": "text",
    "groups": "text",
    "sharing_type": "text",
    "metadata_modified": "date",
}

PKG = {
    "organization": "traffic",
    "tags": ["公交", "道路"],
    "res_format": ["CSV", "PARQUET"],
    "groups": ["transport"],
    "sharing_type": "unconditional",
    "metadata_modified": dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC),
}


# --- fq ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        ("", True),
        ("organization:traffic", True),
        ("organization:health", False),
        ("tags:公交", True),
        ('tags:"公交"', True),
        ("res_format:csv", True),  # formats compare without case, as users type them
        ("organization:traffic tags:道路", True),
        ("organization:traffic AND tags:医疗", False),
        ("organization:health OR organization:traffic", True),
        ("organization:(health OR traffic)", True),
        ("(organization:health OR tags:公交)", True),
        ("-organization:traffic", False),
        ("-organization:health", True),
        ("NOT res_format:PDF", True),
        ("+organization:traffic", True),
        ("groups:*", True),
        ("sharing_type:*  -groups:transport", False),
        ("metadata_modified:[2024-01-01T00:00:00Z TO *]", True),
        ("metadata_modified:[* TO 2024-05-01T08:00:00Z]", True),
        ("metadata_modified:{* TO 2024-05-01T08:00:00Z}", False),
        ("metadata_modified:[2024-06-01T00:00:00Z TO NOW]", False),
        ("metadata_modified:[2024-01-01 TO 2024-12-31]", True),
    ],
)
def test_fq_examples(fq: str, expected: bool) -> None:
    assert parse_fq(fq, fields=FIELDS).matches(PKG) is expected


def test_harvester_style_fq_with_or_chain_and_exclusion() -> None:
    # what ckanext-harvest's CKAN harvester sends: includes joined by OR, excludes negated
    query = parse_fq(
        "metadata_modified:[2024-04-30T00:00:00Z TO *] organization:a OR organization:traffic "
        "-organization:b",
        fields=FIELDS,
    )
    assert len(query.groups) == 3
    assert query.matches(PKG)


@pytest.mark.parametrize(
    ("fq", "words"),
    [
        ("owner:traffic", "Unknown field 'owner'"),
        ("organization:", "a value is missing"),
        ('tags:"公交', "not closed"),
        ("organization traffic", "expected field:value"),
        ("OR tags:x", "OR needs a clause"),
        ("tags:x OR", "OR needs a clause"),
        ("tags:[a TO b]", "ranges work on dates only"),
        ("metadata_modified:[yesterday TO *]", "is not a date"),
        ("metadata_modified:[2024-01-01 *]", "needs 'TO'"),
        ("(tags:a tags:b)", "join clauses with OR"),
    ],
)
def test_fq_refusals_say_where_and_what(fq: str, words: str) -> None:
    with pytest.raises(SearchQueryInvalid) as caught:
        parse_fq(fq, fields=FIELDS)
    assert words in caught.value.message
    assert caught.value.field == "fq"
    assert caught.value.status == 400


_value = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)


@given(st.sampled_from(["organization", "tags", "res_format", "groups"]), _value)
def test_quoted_values_round_trip(field: str, value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    query = parse_fq(f'{field}:"{escaped}"', fields=FIELDS)
    assert query.groups == ((query.groups[0][0],),)
    assert query.groups[0][0].values == (value,)
    assert query.matches({field: [value]})
    assert parse_fq(f'-{field}:"{escaped}"', fields=FIELDS).matches({field: [value]}) is False


@given(st.text(max_size=40))
def test_fq_never_fails_with_anything_but_a_search_query_error(text: str) -> None:
    with contextlib.suppress(SearchQueryInvalid):
        parse_fq(text, fields=FIELDS)


def test_field_query_detection() -> None:
    assert looks_like_field_query("tags:公交", FIELDS)
    assert looks_like_field_query("-organization:x", FIELDS)
    assert not looks_like_field_query("公交 线路", FIELDS)
    assert not looks_like_field_query("http://example.org", FIELDS)


# --- sort --------------------------------------------------------------------------------


def test_sort_reads_directions_aliases_and_quoted_names() -> None:
    got = parse_sort(
        'metadata_modified desc, title_string asc, "人口 数" DESC, name',
        param="sort",
        allowed={"metadata_modified", "title", "人口 数", "name"},
        aliases={"title_string": "title"},
    )
    assert got == [
        ("metadata_modified", "desc"),
        ("title", "asc"),
        ("人口 数", "desc"),
        ("name", "asc"),
    ]


def test_sort_refuses_unknown_fields_and_names_the_sortable_ones() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_sort("popularity desc", param="sort", allowed={"name", "title"})
    assert "popularity" in caught.value.message
    assert "name, title" in caught.value.message


def test_sort_refuses_unquoted_spaces() -> None:
    with pytest.raises(ValidationFailed, match="quote names"):
        parse_sort("人口 数 desc nulls last", param="sort", allowed={"人口 数"})


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcxyz_人口数 ", min_size=1, max_size=8).filter(
                lambda s: s.strip() == s
            ),
            st.sampled_from(["asc", "desc"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_sort_round_trips_quoted_names(items: list[tuple[str, str]]) -> None:
    text = ", ".join(f'"{name}" {direction}' for name, direction in items)
    assert parse_sort(text, param="sort", allowed={n for n, _ in items}) == items


# --- scalars -----------------------------------------------------------------------------


def test_integers_from_text_and_json() -> None:
    assert get_int({"rows": "20"}, "rows", default=10) == 20
    assert get_int({"rows": 20}, "rows", default=10) == 20
    assert get_int({}, "rows", default=10) == 10
    for bad in ("ten", "1.5", True, [1]):
        with pytest.raises(ValidationFailed) as caught:
            get_int({"rows": bad}, "rows", default=10)
        assert caught.value.field == "rows"
    with pytest.raises(ValidationFailed, match="at most 1000"):
        get_int({"rows": "1001"}, "rows", default=10, maximum=1000)
    with pytest.raises(ValidationFailed, match="at least 0"):
        get_int({"start": -1}, "start", default=0)


def test_booleans_and_lists() -> None:
    assert get_bool({"x": "True"}, "x", default=False) is True
    assert get_bool({"x": "0"}, "x", default=True) is False
    with pytest.raises(ValidationFailed, match="true or false"):
        get_bool({"x": "perhaps"}, "x", default=True)
    assert get_str_list({"f": '["organization", "tags"]'}, "f") == ["organization", "tags"]
    assert get_str_list({"f": ["tags"]}, "f") == ["tags"]
    assert get_str_list({"f": "a, b"}, "f") == ["a", "b"]
    with pytest.raises(ValidationFailed, match="not valid JSON"):
        get_str_list({"f": '["tags"'}, "f")
    with pytest.raises(ValidationFailed, match="list of names"):
        get_str_list({"f": [1, 2]}, "f")


@given(st.integers(min_value=0, max_value=10**9))
def test_any_non_negative_integer_text_is_read(n: int) -> None:
    assert get_int({"n": str(n)}, "n", default=0) == n


# --- datastore ---------------------------------------------------------------------------

COLUMNS = {
    "区": "string",
    "人口": "integer",
    "面积": "float",
    "预算": "decimal",
    "开放": "boolean",
    "日期": "date",
    "时间": "timestamp",
}


def test_filters_convert_values_to_the_column_type() -> None:
    filters = parse_filters(
        json.loads(
            '{"区": ["黄浦", "徐汇"], "人口": "100", "开放": "true", "日期": "2024-01-02", '
            '"时间": "2024-01-02T03:04:05Z", "面积": 1, "预算": "1.50"}'
        ),
        COLUMNS,
    )
    got = {f.column: (f.op, f.value) for f in filters}
    assert got["区"] == ("in", ["黄浦", "徐汇"])
    assert got["人口"] == ("eq", 100)
    assert got["开放"] == ("eq", True)
    assert got["日期"] == ("eq", dt.date(2024, 1, 2))
    assert got["时间"] == ("eq", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    assert got["面积"] == ("eq", 1.0)
    assert got["预算"] == ("eq", decimal.Decimal("1.50"))


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"街道": "x"}, 'field "街道" not in table'),
        ({"人口": "many"}, "column '人口' holds whole numbers"),
        ({"日期": "yesterday"}, "dates (YYYY-MM-DD)"),
        ({"开放": "maybe"}, "true or false"),
        ({"人口": []}, "is empty"),
        ({"人口": {"gt": 1}}, "single values"),
        (["区"], "must be a JSON object"),
    ],
)
def test_filter_refusals_name_the_column(raw: object, words: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_filters(raw, COLUMNS)
    assert words in caught.value.message
    assert caught.value.field == "filters"


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_integer_filters_accept_numbers_as_text_or_json(n: int) -> None:
    assert coerce_value(str(n), "integer", "人口", "filters") == n
    assert coerce_value(n, "integer", "人口", "filters") == n


def test_q_fields_and_sort() -> None:
    assert parse_q({"q": "黄浦"}, COLUMNS) == ("黄浦", [])
    text, per_column = parse_q({"q": '{"区": "黄"}'}, COLUMNS)
    assert text is None and per_column[0].op == "contains" and per_column[0].value == "黄"
    with pytest.raises(ValidationFailed, match='"街道" not in table'):
        parse_q({"q": {"街道": "x"}}, COLUMNS)
    assert parse_fields({"fields": "_id,区"}, COLUMNS) == ["_id", "区"]
    with pytest.raises(ValidationFailed, match='"街道" not in table'):
        parse_fields({"fields": ["街道"]}, COLUMNS)
    assert parse_datastore_sort({"sort": "人口 desc, _id"}, COLUMNS) == [
        ("人口", "desc"),
        ("_id", "asc"),
    ]


def test_ckan_field_types_and_record_values() -> None:
    cols = [ColumnSchema(name=n, type=t) for n, t in COLUMNS.items()]  # type: ignore[arg-type]
    fields = ckan_fields(cols, None)
    assert fields[0] == {"id": "_id", "type": "int"}
    assert [f["type"] for f in fields[1:]] == [
        "text",
        "int",
        "float",
        "numeric",
        "bool",
        "date",
        "timestamp",
    ]
    assert ckan_fields(cols, ["区", "_id"]) == [
        {"id": "区", "type": "text"},
        {"id": "_id", "type": "int"},
    ]
    assert record_value(dt.date(2024, 1, 2)) == "2024-01-02"
    assert record_value(decimal.Decimal("2.00")) == 2
    assert record_value(float("nan")) is None
    assert record_value(b"\x00\x01") == "AAE="
