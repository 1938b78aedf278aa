"""Data elements, one data one source, and replica consistency against the authority."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from tests.datahub.conftest import Actor, create, upload

AUTHORITY_CSV = (
    "公民身份号码,姓名,户籍地址\n"
    "11010519491231002X,张三,示范市东城区和平路1号\n"
    "110105194912310038,李四,示范市东城区和平路2号\n"
    "320102198001010016,王五,示范市西山区人民路8号\n"
    "320102198001010024,赵六,示范市西山区人民路9号\n"
).encode()
REPLICA_CSV = (
    "证件号码,户籍地址,参保险种\n"
    "11010519491231002X,示范市东城区和平路1号,养老\n"
    "110105194912310038,示范市东城区和平路20号,养老\n"
    "320102198001010016, 示范市西山区人民路8号 ,失业\n"
    "320102198001010024,示范市西山区人民路99号,工伤\n"
    "440101199001010011,广州市越秀区某路1号,养老\n"
).encode()


def _element(
    client: TestClient, who: Actor, code: str = "hukou_addr", name: str = "户籍地址测试"
) -> None:
    r = client.post(
        "/api/datahub/elements",
        json={"code": code, "name": name, "description": "户籍登记地址"},
        headers=who.headers,
    )
    assert r.status_code == 201, r.text


def _bind(client: TestClient, who: Actor, code: str, **body: str) -> object:
    return client.post(f"/api/datahub/elements/{code}/bindings", json=body, headers=who.headers)


def _setup(client: TestClient, steward: Actor, other: Actor) -> None:
    create(client, steward, "dha-auth")
    create(client, other, "dhb-copy")
    assert upload(client, steward, "dha-auth", AUTHORITY_CSV).status_code == 201
    assert upload(client, other, "dhb-copy", REPLICA_CSV).status_code == 201
    _element(client, steward)


def test_registry_needs_a_steward_and_unique_codes(
    client: TestClient, steward: Actor, officer: Actor
) -> None:
    r = client.post(
        "/api/datahub/elements", json={"code": "x_el", "name": "某元"}, headers=officer.headers
    )
    assert r.status_code == 403
    _element(client, steward)
    r = client.post(
        "/api/datahub/elements",
        json={"code": "hukou_addr", "name": "另一个"},
        headers=steward.headers,
    )
    assert r.status_code == 409
    r = client.post(
        "/api/datahub/elements", json={"code": "Bad Code", "name": "某"}, headers=steward.headers
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "code"


def test_one_authority_per_element_second_claim_names_the_first(
    client: TestClient, steward: Actor, other_steward: Actor
) -> None:
    _setup(client, steward, other_steward)
    r = _bind(
        client,
        steward,
        "hukou_addr",
        dataset="dha-auth",
        column="户籍地址",
        role="authority",
        key_column="公民身份号码",
    )
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    r = _bind(
        client, other_steward, "hukou_addr", dataset="dhb-copy", column="户籍地址", role="authority"
    )
    assert r.status_code == 409  # type: ignore[attr-defined]
    err = r.json()["error"]  # type: ignore[attr-defined]
    assert err["code"] == "authority_exists"
    assert (
        "dha-auth" in err["message"]
        and "户籍地址" in err["message"]
        and "replica" in err["message"]
    )
    r = _bind(
        client,
        other_steward,
        "hukou_addr",
        dataset="dhb-copy",
        column="户籍地址",
        role="replica",
        key_column="证件号码",
    )
    assert r.status_code == 201  # type: ignore[attr-defined]
    element = client.get("/api/datahub/elements/hukou_addr", headers=steward.headers).json()
    assert element["authority"]["dataset"] == "dha-auth"
    assert [b["dataset"] for b in element["replicas"]] == ["dhb-copy"]


def test_binding_checks_columns_and_department(
    client: TestClient, steward: Actor, other_steward: Actor
) -> None:
    _setup(client, steward, other_steward)
    r = _bind(client, steward, "hukou_addr", dataset="dha-auth", column="住址", role="authority")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "户籍地址" in r.json()["error"]["message"]  # type: ignore[attr-defined]
    r = _bind(client, steward, "hukou_addr", dataset="dhb-copy", column="户籍地址", role="replica")
    assert r.status_code == 403  # type: ignore[attr-defined]


def test_consistency_reports_counts_and_samples(
    client: TestClient, session: Session, steward: Actor, other_steward: Actor, officer: Actor
) -> None:
    _setup(client, steward, other_steward)
    _bind(
        client,
        steward,
        "hukou_addr",
        dataset="dha-auth",
        column="户籍地址",
        role="authority",
        key_column="公民身份号码",
    )
    _bind(
        client,
        other_steward,
        "hukou_addr",
        dataset="dhb-copy",
        column="户籍地址",
        role="replica",
        key_column="证件号码",
    )
    r = client.get("/api/datahub/elements/hukou_addr/consistency", headers=steward.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    (rep,) = report["replicas"]
    assert rep["dataset"] == "dhb-copy"
    assert (rep["compared"], rep["matching"], rep["mismatched"], rep["missing_in_authority"]) == (
        4,
        2,
        2,
        1,
    )
    assert rep["match_share"] == 0.5
    samples = {s["key"]: (s["authority_value"], s["replica_value"]) for s in rep["samples"]}
    assert samples == {
        "110105194912310038": ("示范市东城区和平路2号", "示范市东城区和平路20号"),
        "320102198001010024": ("示范市西山区人民路9号", "示范市西山区人民路99号"),
    }
    assert session.scalar(
        select(AuditRecord).where(AuditRecord.action == "datahub.consistency.check")
    )
    # the replica's own department may check too; an unrelated department may not
    assert (
        client.get(
            "/api/datahub/elements/hukou_addr/consistency", headers=other_steward.headers
        ).status_code
        == 200
    )
    r = client.get("/api/datahub/elements/hukou_addr/consistency", headers=officer.headers)
    assert r.status_code == 403


def test_replica_without_key_column_says_what_to_do(
    client: TestClient, steward: Actor, other_steward: Actor
) -> None:
    _setup(client, steward, other_steward)
    _bind(
        client,
        steward,
        "hukou_addr",
        dataset="dha-auth",
        column="户籍地址",
        role="authority",
        key_column="公民身份号码",
    )
    _bind(
        client, other_steward, "hukou_addr", dataset="dhb-copy", column="户籍地址", role="replica"
    )
    rep = client.get(
        "/api/datahub/elements/hukou_addr/consistency", headers=steward.headers
    ).json()["replicas"][0]
    assert rep["problem"] and "key_column" in rep["problem"]


def test_unbind_frees_the_authority(
    client: TestClient, steward: Actor, other_steward: Actor
) -> None:
    _setup(client, steward, other_steward)
    b = _bind(
        client, steward, "hukou_addr", dataset="dha-auth", column="户籍地址", role="authority"
    )
    binding_id = b.json()["id"]  # type: ignore[attr-defined]
    r = client.delete(
        f"/api/datahub/elements/hukou_addr/bindings/{binding_id}", headers=other_steward.headers
    )
    assert r.status_code == 403
    r = client.delete(
        f"/api/datahub/elements/hukou_addr/bindings/{binding_id}", headers=steward.headers
    )
    assert r.status_code == 204
    r = _bind(
        client, other_steward, "hukou_addr", dataset="dhb-copy", column="户籍地址", role="authority"
    )
    assert r.status_code == 201  # type: ignore[attr-defined]


def test_bound_element_names_are_searchable(
    client: TestClient, steward: Actor, other_steward: Actor
) -> None:
    _setup(client, steward, other_steward)
    _element(client, steward, code="domicile", name="户口簿住所")
    assert (
        client.get("/api/datahub/datasets", params={"q": "住所"}, headers=steward.headers).json()[
            "total"
        ]
        == 0
    )
    _bind(client, steward, "domicile", dataset="dha-auth", column="户籍地址", role="authority")
    hits = client.get(
        "/api/datahub/datasets", params={"q": "住所"}, headers=steward.headers
    ).json()["hits"]
    assert [h["name"] for h in hits] == ["dha-auth"]
