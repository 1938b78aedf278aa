"""The data API: projection, filters, sort, keyset pages, downloads — only for who may read."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.datahub import usage
from citybase.datahub.models import DatasetUsage
from citybase.datahub.rows import FILTER_OPS, decode_cursor, encode_cursor, parse_filter, parse_sort
from citybase.datahub.types import ColumnSchema
from citybase.errors import ValidationFailed
from tests.datahub.conftest import Actor, create, upload

OPEN = {"licence": "city-open", "sharing_type": "unconditional", "open_type": "unconditional"}
ROWS = "编号,名称,区,床位,更新日期\n" + "".join(
    f"{i},医院{i:02d},{['东城区', '西山区', '南湖区'][i % 3]},{i * 10},2024-01-{(i % 28) + 1:02d}\n"
    for i in range(1, 26)
)


def _dataset(client: TestClient, who: Actor, name: str, **over: str) -> None:
    create(client, who, name, **over)
    assert upload(client, who, name, ROWS.encode()).status_code == 201


def test_projection_filters_sort_and_total(client: TestClient, steward: Actor) -> None:
    _dataset(client, steward, "dha-rows")
    r = client.get(
        "/api/datahub/datasets/dha-rows/rows",
        params=[
            ("columns", "名称,床位"),
            ("filter", "区:eq:东城区"),
            ("filter", "床位:ge:100"),
            ("sort", "-床位"),
            ("limit", "3"),
        ],
        headers=steward.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["name"] for c in body["columns"]] == ["名称", "床位"]
    assert body["rows"] == [
        {"名称": "医院24", "床位": 240},
        {"名称": "医院21", "床位": 210},
        {"名称": "医院18", "床位": 180},
    ]
    assert body["total"] == 5 and body["version"] == 1 and body["next_cursor"]


def test_keyset_pages_walk_every_row_once(client: TestClient, steward: Actor) -> None:
    _dataset(client, steward, "dha-pages")
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params = {"sort": "-更新日期,编号", "limit": "7", "columns": "编号,更新日期"}
        if cursor:
            params["cursor"] = cursor
        body = client.get(
            "/api/datahub/datasets/dha-pages/rows", params=params, headers=steward.headers
        ).json()
        seen += [row["编号"] for row in body["rows"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == list(range(1, 26)) and len(seen) == 25
    r = client.get(
        "/api/datahub/datasets/dha-pages/rows",
        params={"cursor": "not-a-cursor!", "sort": "编号"},
        headers=steward.headers,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "cursor"


def test_structured_query_body(client: TestClient, steward: Actor) -> None:
    _dataset(client, steward, "dha-post")
    r = client.post(
        "/api/datahub/datasets/dha-post/rows/query",
        json={
            "columns": ["编号"],
            "filters": [{"column": "编号", "op": "in", "value": [3, 5, 99]}],
            "sort": ["编号"],
        },
        headers=steward.headers,
    )
    assert r.status_code == 200, r.text
    assert [row["编号"] for row in r.json()["rows"]] == [3, 5]


def test_bad_requests_name_the_problem(client: TestClient, steward: Actor) -> None:
    _dataset(client, steward, "dha-badq")
    base = "/api/datahub/datasets/dha-badq/rows"
    r = client.get(base, params={"columns": "名称,电话"}, headers=steward.headers)
    assert r.status_code == 422 and "电话" in r.json()["error"]["message"]
    assert "名称" in r.json()["error"]["message"]
    r = client.get(base, params={"filter": "床位:approx:3"}, headers=steward.headers)
    assert r.status_code == 422 and "approx" in r.json()["error"]["message"]
    r = client.get(base, params={"filter": "床位:gt:很多"}, headers=steward.headers)
    assert r.status_code == 422 and "很多" in r.json()["error"]["message"]
    r = client.get(base, params={"version": 9}, headers=steward.headers)
    assert r.status_code == 404 and "version 9" in r.json()["error"]["message"]


def test_who_may_read_rows(
    client: TestClient, session: Session, steward: Actor, officer: Actor, admin: Actor
) -> None:
    _dataset(client, steward, "dha-private")
    _dataset(client, steward, "dha-public", **OPEN)
    _dataset(
        client,
        steward,
        "dha-apply",
        licence="city-open",
        sharing_type="unconditional",
        open_type="conditional",
        open_condition="申请后开放",
    )
    private = "/api/datahub/datasets/dha-private/rows"
    r = client.get(private, headers=officer.headers)
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "access_required" and "Ask that department" in err["message"]
    assert client.get(private).status_code == 404  # the public does not learn it exists
    assert client.get(private, headers=admin.headers).status_code == 200
    assert client.get("/api/datahub/datasets/dha-apply/rows").status_code == 401
    public = client.get("/api/datahub/datasets/dha-public/rows", params={"limit": 2})
    assert public.status_code == 200 and len(public.json()["rows"]) == 2
    assert (
        client.get("/api/datahub/datasets/dha-public/rows", headers=officer.headers).status_code
        == 200
    )
    assert client.get("/api/datahub/datasets/dha-private/download").status_code == 404
    assert (
        client.get(
            "/api/datahub/datasets/dha-private/download", headers=officer.headers
        ).status_code
        == 403
    )


def test_reads_are_counted_and_audited_with_purpose(
    client: TestClient, session: Session, steward: Actor
) -> None:
    _dataset(client, steward, "dha-audit", **OPEN)
    r = client.get(
        "/api/datahub/datasets/dha-audit/rows",
        params={"limit": 5, "purpose": "核对床位"},
        headers=steward.headers,
    )
    assert r.status_code == 200
    client.get("/api/datahub/datasets/dha-audit/rows", params={"limit": 2})
    rec = session.scalar(select(AuditRecord).where(AuditRecord.action == "datahub.rows.read"))
    assert rec is not None and rec.purpose == "核对床位" and rec.actor_name == steward.user.username
    usage.flush_counts(session)
    counts = {
        u.department_code: (u.reads, u.rows)
        for u in session.scalars(select(DatasetUsage).where(DatasetUsage.channel == "api"))
    }
    assert counts == {"DHA": (1, 5), "public": (1, 2)}


def test_downloads_in_three_formats_neutralise_formulas(
    client: TestClient, session: Session, steward: Actor
) -> None:
    create(client, steward, "dha-dl")
    content = '名称,备注,数量\n甲,=HYPERLINK("http://x"),-3\n乙,@SUM(A1),5\n丙,-12.5,7\n'.encode()
    assert upload(client, steward, "dha-dl", content).status_code == 201
    r = client.get(
        "/api/datahub/datasets/dha-dl/download", params={"format": "csv"}, headers=steward.headers
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "dha-dl-v1.csv" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0]["备注"] == '\'=HYPERLINK("http://x")' and rows[1]["备注"] == "'@SUM(A1)"
    assert rows[2]["备注"] == "-12.5" and rows[0]["数量"] == "-3"
    r = client.get(
        "/api/datahub/datasets/dha-dl/download",
        params={"format": "json", "filter": "数量:gt:0", "columns": "名称"},
        headers=steward.headers,
    )
    assert json.loads(r.content) == [{"名称": "乙"}, {"名称": "丙"}]
    r = client.get(
        "/api/datahub/datasets/dha-dl/download",
        params={"format": "parquet"},
        headers=steward.headers,
    )
    assert pq.read_table(io.BytesIO(r.content)).num_rows == 3
    usage.flush_counts(session)
    downloads = session.scalars(
        select(DatasetUsage).where(DatasetUsage.channel == "download")
    ).all()
    assert sum(u.reads for u in downloads) == 3
    assert session.scalar(select(AuditRecord).where(AuditRecord.action == "datahub.rows.download"))


@given(
    column=st.text(min_size=1, max_size=20).filter(lambda c: ":" not in c),
    op=st.sampled_from(FILTER_OPS),
    value=st.text(max_size=20),
)
def test_filter_syntax_round_trips(column: str, op: str, value: str) -> None:
    flt = parse_filter(f"{column}:{op}:{value}")
    assert flt.column == column and flt.op == op
    if op == "in":
        assert flt.value == [v for v in value.split(",") if v]
    elif op == "is_null":
        assert flt.value is (value.lower() not in ("false", "0", "no"))
    else:
        assert flt.value == value


@given(st.text(max_size=40))
def test_filter_parser_never_crashes(text: str) -> None:
    try:
        parse_filter(text)
    except ValidationFailed as exc:
        assert exc.field == "filter" and text in exc.message


@given(st.lists(st.text(alphabet="abc,-", max_size=8), max_size=4))
def test_sort_parser(items: list[str]) -> None:
    for name, direction in parse_sort(items):
        assert name and "," not in name and direction in ("asc", "desc")


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "n": st.none() | st.integers(),
            "s": st.none() | st.text(max_size=10),
            "d": st.none() | st.dates(),
            "$row": st.integers(min_value=1),
        },
    )
)
def test_cursor_round_trips_with_types(after: dict) -> None:  # type: ignore[type-arg]
    columns = [
        ColumnSchema(name="n", type="integer"),
        ColumnSchema(name="s", type="string"),
        ColumnSchema(name="d", type="date"),
    ]
    cursor = encode_cursor(after)
    assert cursor is not None
    assert decode_cursor(cursor, columns) == after
