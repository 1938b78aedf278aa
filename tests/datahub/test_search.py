"""Catalog search: jieba tokens, ranking, facets, visibility; the same on both backends."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from citybase.datahub import search
from citybase.identity.enums import Role
from tests.datahub.conftest import Actor, actor, create

OPEN = {"licence": "city-open", "sharing_type": "unconditional", "open_type": "unconditional"}


def _search(client: TestClient, who: Actor | None, **params: str) -> dict:  # type: ignore[type-arg]
    r = client.get("/api/datahub/datasets", params=params, headers=who.headers if who else {})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _names(result: dict) -> list[str]:  # type: ignore[type-arg]
    return [h["name"] for h in result["hits"]]


def _catalog(client: TestClient, steward: Actor, other: Actor) -> None:
    create(client, steward, "dha-residents", title="常住人口基础信息", keywords=["人口", "户籍"])
    create(
        client,
        steward,
        "dha-bus",
        title="公交站点",
        description="公交线路与站点坐标",
        theme="transport",
        keywords=["公交", "出行"],
        **OPEN,
    )
    create(
        client,
        other,
        "dhb-air",
        title="空气质量监测站点",
        description="国控站点的空气质量",
        theme="environment",
        keywords=["空气", "环境"],
        **OPEN,
    )
    create(
        client,
        other,
        "dhb-licences",
        title="营业执照发证信息",
        description="市场主体营业执照",
        theme="market",
        sharing_type="unconditional",
        sharing_condition="",
    )


def test_chinese_words_find_and_rank_titles_first(
    client: TestClient, steward: Actor, other_steward: Actor
) -> None:
    _catalog(client, steward, other_steward)
    assert _names(_search(client, steward, q="人口"))[0] == "dha-residents"
    assert _names(_search(client, steward, q="营业执照"))[0] == "dhb-licences"
    stations = _names(_search(client, steward, q="站点"))
    assert set(stations) >= {"dha-bus", "dhb-air"}
    # both words must match when some dataset has both
    assert _names(_search(client, steward, q="公交 站点")) == ["dha-bus"]
    # a word inside a longer indexed term still finds it
    assert "dha-residents" in _names(_search(client, steward, q="户籍"))
    assert _search(client, steward, q="完全不存在的词汇xyz")["total"] == 0


def test_facets_count_and_filter(client: TestClient, steward: Actor, other_steward: Actor) -> None:
    _catalog(client, steward, other_steward)
    everything = _search(client, steward)
    assert everything["total"] == 4
    depts = {f["value"]: f["count"] for f in everything["facets"]["department"]}
    assert depts == {"DHA": 2, "DHB": 2}
    opened = {f["value"]: f["count"] for f in everything["facets"]["open_type"]}
    assert opened == {"unconditional": 2, "not_open": 2}
    labels = {f["value"]: f["label"] for f in everything["facets"]["open_type"]}
    assert labels["unconditional"] == "无条件开放"
    only_dha = _search(client, steward, department="DHA")
    assert sorted(_names(only_dha)) == ["dha-bus", "dha-residents"]
    # the department facet still shows the other department (multi-select facets)
    assert {f["value"] for f in only_dha["facets"]["department"]} == {"DHA", "DHB"}
    both = _search(client, steward, department="DHA", open_type="unconditional")
    assert _names(both) == ["dha-bus"]


def test_public_and_citizens_see_only_open_datasets(
    client: TestClient, session: Session, steward: Actor, other_steward: Actor
) -> None:
    _catalog(client, steward, other_steward)
    assert sorted(_names(_search(client, None))) == ["dha-bus", "dhb-air"]
    citizen = actor(session, Role.applicant, None)
    assert _search(client, citizen, q="人口")["total"] == 0


def test_edits_are_searchable_immediately(client: TestClient, steward: Actor) -> None:
    create(client, steward, "dha-rename", title="旧名称数据")
    assert _search(client, steward, q="医疗机构")["total"] == 0
    r = client.patch(
        "/api/datahub/datasets/dha-rename", json={"title": "医疗机构名录"}, headers=steward.headers
    )
    assert r.status_code == 200
    assert _names(_search(client, steward, q="医疗机构")) == ["dha-rename"]
    assert _search(client, steward, q="旧名称")["total"] == 0


def test_sorting_and_paging(client: TestClient, steward: Actor, other_steward: Actor) -> None:
    _catalog(client, steward, other_steward)
    page1 = _search(client, steward, sort="title", limit="2")
    page2 = _search(client, steward, sort="title", limit="2", offset="2")
    assert page1["total"] == 4 and len(page1["hits"]) == 2 and len(page2["hits"]) == 2
    assert not set(_names(page1)) & set(_names(page2))
    r = client.get("/api/datahub/datasets", params={"sort": "stars"}, headers=steward.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "sort"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_tokenizer_never_yields_punctuation_stopwords_or_blanks(text: str) -> None:
    for tok in search.tokenize(text):
        assert tok.strip() == tok and tok
        assert tok not in search.STOPWORDS
        assert any(ch.isalnum() for ch in tok)
        assert tok == tok.lower()


def test_document_weights_favour_titles() -> None:
    weights = search.document_weights({"title": "人口统计", "description": "人口 人口"})
    assert weights["人口"] == 3.0 + 2 * 1.0
    assert "统计" in weights
