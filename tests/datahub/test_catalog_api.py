"""Datasets' metadata through the API: who may create, edit and see what; every change audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.identity.enums import Role
from tests.datahub.conftest import Actor, actor, create, dataset_body


def test_steward_creates_dataset_in_own_department_audited(
    client: TestClient, session: Session, steward: Actor
) -> None:
    body = create(client, steward, "dha-people", keywords=["人口", " 人口 ", "户籍"])
    assert body["department_code"] == "DHA"
    assert body["theme_name"] == "人口户籍"
    assert body["keywords"] == ["人口", "户籍"]
    assert body["current_version"] is None
    rec = session.scalar(
        select(AuditRecord).where(
            AuditRecord.action == "datahub.dataset.create", AuditRecord.object_id == "dha-people"
        )
    )
    assert rec is not None and rec.actor_name == steward.user.username


def test_name_must_be_a_url_safe_slug(client: TestClient, steward: Actor) -> None:
    for bad in ("人口库", "A-Upper", "x", "has space", "a" * 101):
        r = client.post("/api/datahub/datasets", json=dataset_body(bad), headers=steward.headers)
        assert r.status_code == 422, bad
        assert r.json()["error"]["field"] == "name"


def test_unknown_theme_and_licence_are_refused_with_the_choices(
    client: TestClient, steward: Actor
) -> None:
    r = client.post(
        "/api/datahub/datasets", json=dataset_body("dha-x", theme="nope"), headers=steward.headers
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "theme" and "population" in err["message"]
    r = client.post(
        "/api/datahub/datasets",
        json=dataset_body("dha-y", licence="gov-internal", open_type="unconditional"),
        headers=steward.headers,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "licence"


def test_conditional_sharing_needs_its_condition(client: TestClient, steward: Actor) -> None:
    r = client.post(
        "/api/datahub/datasets",
        json=dataset_body("dha-z", sharing_condition=""),
        headers=steward.headers,
    )
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "sharing_condition"


def test_duplicate_name_is_a_conflict(client: TestClient, steward: Actor) -> None:
    create(client, steward, "dha-dup")
    r = client.post("/api/datahub/datasets", json=dataset_body("dha-dup"), headers=steward.headers)
    assert r.status_code == 409 and "dha-dup" in r.json()["error"]["message"]


def test_only_stewards_of_the_department_may_create_or_edit(
    client: TestClient, session: Session, steward: Actor, other_steward: Actor, officer: Actor
) -> None:
    r = client.post("/api/datahub/datasets", json=dataset_body("dhc-a"), headers=officer.headers)
    assert r.status_code == 403 and "data stewards" in r.json()["error"]["message"]
    r = client.post(
        "/api/datahub/datasets",
        json=dataset_body("dha-b", department_code="DHA"),
        headers=other_steward.headers,
    )
    assert r.status_code == 403
    create(client, steward, "dha-c")
    r = client.patch(
        "/api/datahub/datasets/dha-c", json={"title": "改名"}, headers=other_steward.headers
    )
    assert r.status_code == 403 and "another department" in r.json()["error"]["message"]
    r = client.post("/api/datahub/datasets", json=dataset_body("dha-d"))
    assert r.status_code == 401


def test_edit_changes_only_given_fields_and_audits_the_difference(
    client: TestClient, session: Session, steward: Actor
) -> None:
    create(client, steward, "dha-edit")
    r = client.patch(
        "/api/datahub/datasets/dha-edit",
        json={
            "title": "新标题",
            "open_type": "conditional",
            "open_condition": "申请后开放",
            "licence": "city-open",
        },
        headers=steward.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["title"] == "新标题" and body["open_type"] == "conditional"
    assert body["description"] == "用于测试的常住人口登记信息。"
    rec = session.scalar(select(AuditRecord).where(AuditRecord.action == "datahub.dataset.update"))
    assert rec is not None and "新标题" in rec.detail and "description" not in rec.detail


def test_platform_admin_may_edit_any_department(
    client: TestClient, steward: Actor, admin: Actor
) -> None:
    create(client, steward, "dha-admin")
    r = client.patch(
        "/api/datahub/datasets/dha-admin", json={"spatial": "东城区"}, headers=admin.headers
    )
    assert r.status_code == 200 and r.json()["spatial"] == "东城区"


def test_metadata_visibility_staff_vs_public(
    client: TestClient, session: Session, steward: Actor, officer: Actor
) -> None:
    create(client, steward, "dha-closed")
    create(
        client,
        steward,
        "dha-open",
        licence="city-open",
        sharing_type="unconditional",
        open_type="unconditional",
    )
    assert (
        client.get("/api/datahub/datasets/dha-closed", headers=officer.headers).status_code == 200
    )
    citizen = actor(session, Role.applicant, None)
    assert (
        client.get("/api/datahub/datasets/dha-closed", headers=citizen.headers).status_code == 404
    )
    assert client.get("/api/datahub/datasets/dha-closed").status_code == 404
    assert client.get("/api/datahub/datasets/dha-open").status_code == 200


def test_theme_list_is_data_with_dcat_mapping(client: TestClient) -> None:
    themes = client.get("/api/datahub/themes").json()
    codes = {t["code"]: t for t in themes}
    assert codes["transport"]["dcat"] == "TRAN" and codes["population"]["name_zh"] == "人口户籍"
