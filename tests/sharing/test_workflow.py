"""Sharing requests on the workflow: the owner's time limit, extension, guards, history."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from citybase.app import create_app
from citybase.events.models import OutboxEvent
from citybase.identity.enums import Role
from citybase.settings import Settings
from citybase.sharing import plugin as sharing_plugin
from citybase.workflow import service as workflow_service
from citybase.workflow.models import WorkflowInstance
from citybase.workflow.registry import reload
from citybase.worktime import CalendarNotCovered, clock_for
from tests.factories import PASSWORD, auth_headers, login_csrf_token, make_user
from tests.sharing.conftest import INSURANCE_CSV, Actor, approve, dataset, file

HTML = {"Accept": "text/html"}


def _instance(session: Session, request_id: int) -> WorkflowInstance:
    found = workflow_service.find_instance(
        db_session=session,
        workflow="sharing_request",
        subject_type="sharing_request",
        subject_id=request_id,
    )
    assert found is not None
    return found


def test_a_pending_request_shows_the_owners_deadline_in_working_days(
    client: TestClient, session: Session, settings: Settings, insurance: str, rsj: Actor, zsj: Actor
) -> None:
    body = file(client, zsj, insurance).json()
    created = dt.datetime.fromisoformat(body["created_at"])
    try:
        expected = clock_for(settings).add(created, 5, "working_days")
    except CalendarNotCovered:  # filed near the end of the calendar's data: no deadline
        assert body["status"] == "pending" and body["due_at"] is None
        return
    assert dt.datetime.fromisoformat(body["due_at"]) == expected
    assert body["deadline_status"] == "on_time" and body["deadline_label"] == "正常"
    assert body["due_local"].endswith("18:00")  # end of the 5th working day, local time
    client.cookies.clear()
    login = client.post(
        "/login",
        data={
            "csrf_token": login_csrf_token(client),
            "username": rsj.user.username,
            "password": PASSWORD,
            "next": "/",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert login.status_code == 303
    queue = client.get("/sharing/queue", headers=HTML)
    assert 'data-testid="queue-due" data-deadline="on_time"' in queue.text
    assert body["due_local"] in queue.text
    client.cookies.clear()


def test_the_owner_extends_the_time_limit_and_the_requester_may_not(
    client: TestClient, settings: Settings, insurance: str, rsj: Actor, zsj: Actor
) -> None:
    body = file(client, zsj, insurance).json()
    rid = body["id"]
    if body["due_at"] is None:  # filed near the end of the calendar's data
        pytest.skip("no deadline can be counted from today on this calendar")
    url = f"/api/sharing/requests/{rid}/extend"
    by_requester = client.post(url, json={"reason": "需要更多时间"}, headers=zsj.headers)
    assert by_requester.status_code == 403
    message = by_requester.json()["error"]["message"]
    assert "owner department (SRS)" in message and "withdraw (→ withdrawn)" in message
    no_reason = client.post(url, json={"reason": ""}, headers=rsj.headers)
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    extended = client.post(url, json={"reason": "需会商法规处"}, headers=rsj.headers)
    assert extended.status_code == 200, extended.text
    old_due = dt.datetime.fromisoformat(body["due_at"])
    new_due = dt.datetime.fromisoformat(extended.json()["due_at"])
    assert new_due == clock_for(settings).add(old_due, 5, "working_days")
    assert extended.json()["status"] == "pending"


def test_decisions_are_workflow_moves_with_history_and_events(
    client: TestClient, session: Session, insurance: str, rsj: Actor, zsj: Actor
) -> None:
    rid = file(client, zsj, insurance).json()["id"]
    by_owner = client.post(f"/api/sharing/requests/{rid}/withdraw", headers=rsj.headers)
    assert by_owner.status_code == 403
    assert "requester department (SZS)" in by_owner.json()["error"]["message"]
    assert approve(client, rsj, rid).status_code == 200
    inst = _instance(session, rid)
    assert inst.state == "granted" and inst.deadline_due_at is None
    moves = workflow_service.history(db_session=session, instance=inst)
    assert [(m.action, m.actor_name) for m in moves] == [
        ("start", zsj.user.username),
        ("approve", rsj.user.username),
    ]
    again = client.post(f"/api/sharing/requests/{rid}/withdraw", headers=zsj.headers)
    assert again.status_code == 409
    read = client.get(f"/api/sharing/requests/{rid}", headers=zsj.headers).json()
    assert read["due_at"] is None and read["deadline_status"] is None
    events = [
        json.loads(e.payload)
        for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "workflow.Transitioned")
        )
    ]
    mine = [e for e in events if e["subject_id"] == str(rid)]
    assert [e["action"] for e in mine] == ["start", "approve"]


def test_unconditional_and_not_shared_are_system_moves(
    client: TestClient, session: Session, rsj: Actor, zsj: Actor
) -> None:
    dataset(client, session, rsj, "srs-open2", INSURANCE_CSV, sharing_type="unconditional")
    dataset(client, session, rsj, "srs-closed2", INSURANCE_CSV, sharing_type="not_shared")
    open_id = file(client, zsj, "srs-open2").json()["id"]
    closed_id = file(client, zsj, "srs-closed2").json()["id"]
    for rid, action, state in (
        (open_id, "grant_at_once", "granted"),
        (closed_id, "refuse", "refused"),
    ):
        inst = _instance(session, rid)
        last = workflow_service.history(db_session=session, instance=inst)[-1]
        assert (last.action, last.actor_name, inst.state) == (action, "system", state)


def test_a_pending_request_filed_before_the_workflow_is_adopted(
    client: TestClient, session: Session, insurance: str, rsj: Actor, zsj: Actor
) -> None:
    rid = file(client, zsj, insurance).json()["id"]
    session.execute(delete(WorkflowInstance).where(WorkflowInstance.subject_id == str(rid)))
    session.commit()
    assert client.get(f"/api/sharing/requests/{rid}", headers=zsj.headers).json()["due_at"] is None
    assert approve(client, rsj, rid).status_code == 200
    assert _instance(session, rid).state == "granted"


def test_a_city_workflow_changes_who_decides_and_the_time_limit(
    session: Session,
    settings: Settings,
    session_factory: Any,
    tmp_path: Path,
    insurance: str,
    rsj: Actor,
    zsj: Actor,
) -> None:
    shipped = Path(sharing_plugin.__file__).parent / "data/workflows/sharing_request.yaml"
    doc = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    doc["states"]["pending"]["time_limit"] = {"amount": 2, "unit": "calendar_hours"}
    approve_move = next(t for t in doc["transitions"] if t["name"] == "approve")
    approve_move["roles"] = ["dept_admin"]  # this city: the department admin decides
    city = tmp_path / "city-workflows"
    city.mkdir()
    (city / "sharing_request.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    reload()
    city_settings = settings.model_copy(update={"workflow_dir": city})
    with TestClient(create_app(city_settings, session_factory=session_factory)) as client:
        body = file(client, zsj, insurance).json()
        created = dt.datetime.fromisoformat(body["created_at"])
        assert dt.datetime.fromisoformat(body["due_at"]) == created + dt.timedelta(hours=2)
        steward = approve(client, rsj, body["id"])
        assert steward.status_code == 403
        assert (
            "is for dept_admin of the owner department (SRS)" in steward.json()["error"]["message"]
        )
        admin = make_user(session, Role.dept_admin, "SRS")
        r = approve(client, Actor(admin, auth_headers(session, admin)), body["id"])
        assert r.status_code == 200, r.text
    reload()


def test_the_request_history_in_the_api_and_on_the_page(
    client: TestClient, insurance: str, rsj: Actor, zsj: Actor
) -> None:
    rid = file(client, zsj, insurance).json()["id"]
    r = client.post(
        f"/api/sharing/requests/{rid}/reject", json={"reason": "用途不明确"}, headers=rsj.headers
    )
    assert r.status_code == 200
    moves = client.get(f"/api/sharing/requests/{rid}/history", headers=zsj.headers).json()
    assert [(m["action"], m["label"], m["to_state"]) for m in moves] == [
        ("start", "提交申请", "pending"),
        ("reject", "驳回", "rejected"),
    ]
    assert moves[1]["actor"] == rsj.user.username and moves[1]["reason"] == "用途不明确"
    outsider = client.get(f"/api/sharing/requests/{rid}/history", headers={})
    assert outsider.status_code == 401
    client.cookies.clear()
    client.post(
        "/login",
        data={
            "csrf_token": login_csrf_token(client),
            "username": zsj.user.username,
            "password": PASSWORD,
            "next": "/",
        },
        headers=HTML,
    )
    page = client.get(f"/sharing/requests/{rid}", headers=HTML)
    assert 'data-testid="history"' in page.text and "用途不明确" in page.text
    assert 'data-testid="approve-form"' not in page.text  # decided: no buttons
    client.cookies.clear()
