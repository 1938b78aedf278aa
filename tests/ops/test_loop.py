"""The closed loop through real HTTP: intake → 立案 → 派遣 → 签收 → 处置 → 核查 → 结案 → 回访."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.ops.conftest import OUTSIDE, OpsWorld, act, report


def test_intake_classifies_locates_and_dispatches(client: TestClient, world: OpsWorld) -> None:
    out = report(client, world.call_taker, reporter_name="李雷", reporter_phone="13812345678")
    case = out["case"]
    assert out["created"] is True
    assert case["category"] == "SANITATION"
    assert case["status"] == "dispatched"
    assert case["department"] == "CGJ"
    assert case["grid_code"] == "D1-S1-G1" and case["district_code"] == "D1"
    assert case["due_at"] is not None and case["deadline_status"] == "on_time"


def test_full_loop_and_history(client: TestClient, world: OpsWorld) -> None:
    cid = report(client, world.call_taker)["case"]["id"]
    assert act(client, world.cgj, cid, "accept")["status"] == "processing"
    act(client, world.cgj, cid, "handle", result="已清运垃圾并消毒")
    act(client, world.grid, cid, "send_back", reason="现场仍有垃圾残留")
    act(client, world.cgj, cid, "handle", result="已彻底清理")
    act(client, world.grid, cid, "confirm")
    closed = act(client, world.dispatcher, cid, "close")
    assert closed["status"] == "closed" and closed["rework_count"] == 1
    assert closed["on_time"] is True
    act(client, world.call_taker, cid, "follow_up", satisfaction="satisfied")
    detail = client.get(f"/api/ops/cases/{cid}", headers=world.dispatcher.headers).json()
    actions = [h["action"] for h in detail["history"]]
    assert actions == [
        "start", "register_and_dispatch", "accept", "handle", "send_back", "handle",
        "confirm", "close", "follow_up",
    ]  # fmt: skip
    assert detail["satisfaction"] == "satisfied"


def test_illegal_move_lists_allowed(client: TestClient, world: OpsWorld) -> None:
    cid = report(client, world.call_taker)["case"]["id"]
    res = client.post(
        f"/api/ops/cases/{cid}/actions/close", json={}, headers=world.dispatcher.headers
    )
    assert res.status_code == 409
    assert "allowed now" in res.json()["error"]["message"]
    assert "reassign" in res.json()["error"]["message"]


def test_other_department_refused(client: TestClient, world: OpsWorld) -> None:
    cid = report(client, world.call_taker)["case"]["id"]  # CGJ's case
    res = client.post(f"/api/ops/cases/{cid}/actions/accept", json={}, headers=world.zjj.headers)
    assert res.status_code == 404  # ZJJ cannot even see CGJ's case


def test_bad_input_names_the_field(client: TestClient, world: OpsWorld) -> None:
    h = world.call_taker.headers
    res = client.post("/api/ops/cases", json={"text": "路灯坏了", "category": "NOPE"}, headers=h)
    assert res.status_code == 422 and res.json()["error"]["field"] == "category"
    res = client.post(
        "/api/ops/cases", json={"text": "路灯坏了", "lon": OUTSIDE[0], "lat": OUTSIDE[1]}, headers=h
    )
    assert res.status_code == 422 and res.json()["error"]["field"] == "lon"


def test_idempotency_key_returns_first_case(client: TestClient, world: OpsWorld) -> None:
    first = report(client, world.call_taker, idempotency_key="k-1")
    again = client.post(
        "/api/ops/cases",
        json={"text": "另一段文字", "idempotency_key": "k-1", "channel": "open311"},
        headers=world.call_taker.headers,
    )
    assert again.status_code == 200
    assert again.json()["case"]["id"] == first["case"]["id"]
    assert again.json()["created"] is False
