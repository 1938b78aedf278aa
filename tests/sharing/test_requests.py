"""Requests and decisions through the API: auto-grant, approval, rejection, refusal."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from tests.sharing.conftest import (
    INSURANCE_CSV,
    Actor,
    approve,
    dataset,
    file,
    granted,
    until,
)


def test_unconditional_dataset_is_granted_at_once(
    client: TestClient, session: Session, rsj: Actor, zsj: Actor
) -> None:
    dataset(client, session, rsj, "srs-open", INSURANCE_CSV, sharing_type="unconditional")
    r = file(client, zsj, "srs-open")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "granted" and body["grant_id"]
    grant = client.get(f"/api/sharing/grants/{body['grant_id']}", headers=zsj.headers).json()
    assert grant["state"] == "active"
    assert grant["deid_policy"]["身份证号"] == [{"op": "pseudonymise", "length": 16}]
    rows = client.get("/api/datahub/datasets/srs-open/rows", headers=zsj.headers)
    assert rows.status_code == 200 and rows.json()["total"] == 2


def test_conditional_request_waits_then_approval_lets_the_consumer_read(
    client: TestClient, insurance: str, rsj: Actor, zsj: Actor
) -> None:
    r = file(client, zsj, insurance)
    assert r.json()["status"] == "pending"
    before = client.get(f"/api/datahub/datasets/{insurance}/rows", headers=zsj.headers)
    assert before.status_code == 403 and "rows" not in before.json()
    queue = client.get("/api/sharing/requests?box=incoming", headers=rsj.headers).json()
    assert [q["id"] for q in queue] == [r.json()["id"]]
    assert approve(client, rsj, r.json()["id"]).status_code == 200
    after = client.get(f"/api/datahub/datasets/{insurance}/rows", headers=zsj.headers)
    assert after.status_code == 200 and after.json()["total"] == 2
    mine = client.get("/api/sharing/requests", headers=zsj.headers).json()
    assert mine[0]["status"] == "granted" and mine[0]["decided_by"] == rsj.user.username


def test_rejection_needs_a_reason_and_leaves_no_access(
    client: TestClient, insurance: str, rsj: Actor, zsj: Actor
) -> None:
    rid = file(client, zsj, insurance).json()["id"]
    no_reason = client.post(
        f"/api/sharing/requests/{rid}/reject", json={"reason": " "}, headers=rsj.headers
    )
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    r = client.post(
        f"/api/sharing/requests/{rid}/reject",
        json={"reason": "用途与共享条件不符"},
        headers=rsj.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["decision_reason"] == "用途与共享条件不符"
    again = approve(client, rsj, rid)
    assert again.status_code == 409
    rows = client.get(f"/api/datahub/datasets/{insurance}/rows", headers=zsj.headers)
    assert rows.status_code == 403


def test_not_shared_dataset_is_refused_and_audited(
    client: TestClient, session: Session, rsj: Actor, zsj: Actor
) -> None:
    dataset(client, session, rsj, "srs-closed", INSURANCE_CSV, sharing_type="not_shared")
    r = file(client, zsj, "srs-closed")
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "refused" and body["grant_id"] is None
    assert "不予共享" in body["decision_reason"]
    actions = set(
        session.scalars(
            select(AuditRecord.action).where(
                AuditRecord.object_type == "sharing_request",
                AuditRecord.object_id == str(body["id"]),
            )
        )
    )
    assert {"sharing.request.file", "sharing.request.refused"} <= actions
    rows = client.get("/api/datahub/datasets/srs-closed/rows", headers=zsj.headers)
    assert rows.status_code == 403


def test_only_the_owning_department_decides(
    client: TestClient, insurance: str, rsj: Actor, zsj: Actor, gaj: Actor, outsider: Actor
) -> None:
    rid = file(client, zsj, insurance).json()["id"]
    other_steward = approve(client, gaj, rid)
    assert other_steward.status_code in (403, 404)
    consumer_self = approve(client, zsj, rid)
    assert consumer_self.status_code == 403
    assert "RS" in consumer_self.json()["error"]["message"]
    officer = approve(client, outsider, rid)
    assert officer.status_code in (403, 404)
    status = client.get(f"/api/sharing/requests/{rid}", headers=zsj.headers).json()["status"]
    assert status == "pending"


def test_bad_requests_are_refused_naming_the_field(
    client: TestClient, insurance: str, rsj: Actor, zsj: Actor
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"purpose": ""}, "purpose"),
        ({"legal_basis": ""}, "legal_basis"),
        ({"valid_until": None}, "valid_until"),
        ({"valid_until": until(5 * 365)}, "valid_until"),
        ({"valid_from": "2001-01-01"}, "valid_from"),
        ({"columns": ["没有这列"]}, "columns"),
        ({"row_filter": [{"column": "没有这列", "op": "eq", "value": 1}]}, "row_filter[0].column"),
        ({"clear_columns": {"身份证号": ""}}, "clear_columns.身份证号"),
        ({"clear_columns": {"参保险种": "需要"}}, "clear_columns.参保险种"),
    ]
    for over, field in cases:
        r = file(client, zsj, insurance, **over)
        assert r.status_code == 422, (over, r.text)
        assert r.json()["error"]["field"] == field, (over, r.json())
    own = file(client, rsj, insurance)
    assert own.status_code == 409 and "own department" in own.json()["error"]["message"]


def test_withdraw_and_revoke(client: TestClient, insurance: str, rsj: Actor, zsj: Actor) -> None:
    rid = file(client, zsj, insurance).json()["id"]
    w = client.post(f"/api/sharing/requests/{rid}/withdraw", headers=zsj.headers)
    assert w.status_code == 200 and w.json()["status"] == "withdrawn"
    gid = granted(client, rsj, zsj, insurance)
    by_consumer = client.post(
        f"/api/sharing/grants/{gid}/revoke", json={"reason": "不再需要"}, headers=zsj.headers
    )
    assert by_consumer.status_code == 403
    r = client.post(
        f"/api/sharing/grants/{gid}/revoke", json={"reason": "项目结束"}, headers=rsj.headers
    )
    assert r.status_code == 200 and r.json()["state"] == "revoked"
