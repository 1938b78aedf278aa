"""Duplicates and merge, reporters' data masked, photos, queue, replies, reassign/return."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from tests.ops.conftest import IN_G1, OpsWorld, act, report

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_duplicate_suggested_and_merged(client: TestClient, world: OpsWorld) -> None:
    first = report(client, world.call_taker, "小区门口垃圾桶满了好几天没人清运，臭味很大",
                   reporter_name="王芳", reporter_phone="13900001111")  # fmt: skip
    near = (IN_G1[0] + 0.0003, IN_G1[1])  # ~30 m away
    second = report(
        client, world.citizen, "小区门口的垃圾桶满了好几天了没人清运", lon=near[0], lat=near[1]
    )
    assert [d["case_id"] for d in second["duplicates"]] == [first["case"]["id"]]
    assert second["case"]["status"] == "received"  # waits: a person decides to merge
    res = client.post(
        f"/api/ops/cases/{second['case']['id']}/merge",
        json={"into": first["case"]["id"]}, headers=world.call_taker.headers,
    )  # fmt: skip
    assert res.status_code == 200, res.text
    client.post(
        f"/api/ops/cases/{first['case']['id']}/replies", json={"text": "已安排清运，感谢反映"},
        headers=world.cgj.headers,
    )  # fmt: skip
    mine = client.get("/api/ops/my-reports", headers=world.citizen.headers).json()
    assert [c["id"] for c in mine] == [first["case"]["id"]]  # the citizen follows the merged case
    detail = client.get(f"/api/ops/cases/{first['case']['id']}", headers=world.citizen.headers)
    assert detail.status_code == 200
    body = detail.json()
    assert len(body["reports"]) == 2
    assert [n["text"] for n in body["notes"] if n["kind"] == "reply"] == ["已安排清运，感谢反映"]
    other = next(r for r in body["reports"] if r["reporter_name"])
    assert other["reporter_phone"] == "139****1111"  # another reporter's phone stays masked


def test_reporter_data_masked_and_reads_audited(
    client: TestClient, session: Session, world: OpsWorld
) -> None:
    cid = report(client, world.call_taker, reporter_name="李雷", reporter_phone="13812345678")[
        "case"
    ]["id"]
    seen = client.get(f"/api/ops/cases/{cid}", headers=world.grid.headers).json()
    assert seen["reports"][0]["reporter_phone"] == "138****5678"
    assert seen["reports"][0]["reporter_name"] == "李*"
    full = client.get(f"/api/ops/cases/{cid}", headers=world.cgj.headers).json()
    assert full["reports"][0]["reporter_phone"] == "13812345678"
    reads = session.scalars(
        select(AuditRecord).where(
            AuditRecord.action == "ops.reporter_read", AuditRecord.object_id == str(cid)
        )
    ).all()
    assert [r.actor_name for r in reads] == [world.cgj.user.username]


def test_photos_checked_and_stored(client: TestClient, world: OpsWorld) -> None:
    cid = report(client, world.grid)["case"]["id"]
    url = f"/api/ops/cases/{cid}/photos"
    ok = client.post(url, files={"photo": ("a.png", PNG, "image/png")}, headers=world.grid.headers)
    assert ok.status_code == 201, ok.text
    got = client.get(f"{url}/{ok.json()['id']}", headers=world.dispatcher.headers)
    assert got.status_code == 200 and got.content == PNG
    bad = client.post(
        url, files={"photo": ("a.png", b"not an image", "image/png")}, headers=world.grid.headers
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "photo"
    big = b"\xff\xd8\xff" + b"\x00" * 5_000_001
    res = client.post(
        url, files={"photo": ("b.jpg", big, "image/jpeg")}, headers=world.grid.headers
    )
    assert res.status_code == 413 and res.json()["error"]["field"] == "photo"


def test_queue_filters_and_scope(client: TestClient, world: OpsWorld) -> None:
    report(client, world.call_taker)
    report(
        client,
        world.call_taker,
        "旁边工地半夜还在打桩，吵得根本睡不着",
        category="CONSTRUCTION_DUST",
    )
    everything = client.get("/api/ops/cases", headers=world.dispatcher.headers).json()
    assert everything["total"] == 2
    zjj = client.get("/api/ops/cases", headers=world.zjj.headers).json()
    assert [c["department"] for c in zjj["items"]] == ["ZJJ"]
    filtered = client.get(
        "/api/ops/cases", params={"category": "SANITATION", "status": "dispatched"},
        headers=world.dispatcher.headers,
    ).json()  # fmt: skip
    assert filtered["total"] == 1
    assert client.get("/api/ops/cases", headers=world.citizen.headers).status_code == 403


def test_return_and_reassign(client: TestClient, world: OpsWorld) -> None:
    cid = report(client, world.call_taker)["case"]["id"]
    act(client, world.cgj, cid, "return", expect=422)  # needs a reason
    back = act(client, world.cgj, cid, "return", reason="不属于本部门职责")
    assert back["status"] == "registered"
    moved = act(client, world.dispatcher, cid, "dispatch", department="ZJJ")
    assert moved["department"] == "ZJJ" and moved["routed_by"] == "person"
    act(client, world.dispatcher, cid, "reassign", reason="改派城管", department="NOPE", expect=422)
    again = act(client, world.dispatcher, cid, "reassign", reason="改派城管", department="CGJ")
    assert again["department"] == "CGJ"
    act(client, world.dispatcher, cid, "urge", reason="请尽快处置")
    act(client, world.cgj, cid, "accept")
    urged = act(client, world.dispatcher, cid, "supervise", reason="市领导督办")
    assert urged["urge_count"] == 1 and urged["supervise_count"] == 1


def test_low_confidence_waits_for_a_person(client: TestClient, world: OpsWorld) -> None:
    out = report(client, world.call_taker, "我想反映一个情况，具体说不清楚")
    case = out["case"]
    assert case["status"] == "received" and case["needs_category"] is True
    res = client.post(
        f"/api/ops/cases/{case['id']}/actions/register", json={}, headers=world.call_taker.headers
    )
    assert res.status_code == 422 and res.json()["error"]["field"] == "category"
    done = act(client, world.call_taker, case["id"], "register", category="SANITATION")
    assert done["status"] == "registered" and done["category"] == "SANITATION"
