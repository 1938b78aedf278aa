"""Routing rules as data: the file's rules, admins' rules first, the test bench."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.ops.conftest import IN_D2, IN_G1, OpsWorld, report

NIGHT = "2024-10-14T23:30:00+08:00"
DAY = "2024-10-14T10:00:00+08:00"


def bench(client: TestClient, world: OpsWorld, **body: object) -> dict[str, object]:
    res = client.post("/api/ops/routing-test", json=body, headers=world.dispatcher.headers)
    assert res.status_code == 200, res.text
    out: dict[str, object] = res.json()
    return out


def test_file_rules_and_default(client: TestClient, world: OpsWorld) -> None:
    night = bench(
        client, world, category="CONSTRUCTION_NOISE", lon=IN_G1[0], lat=IN_G1[1], at=NIGHT
    )
    assert night["department"] == "CGJ" and night["rule"] == "夜间施工噪声由城管夜查受理"
    day = bench(client, world, category="CONSTRUCTION_NOISE", lon=IN_G1[0], lat=IN_G1[1], at=DAY)
    assert day["department"] == "ZJJ" and day["rule"] == "default"
    assert day["grid_code"] == "D1-S1-G1"
    assert any("outside" in s for s in day["skipped"])  # type: ignore[union-attr]


def test_admin_rule_wins_and_is_used_at_intake(client: TestClient, world: OpsWorld) -> None:
    rule = {"name": "D2 区环境卫生交住建", "categories": ["SANITATION"], "area_codes": ["D2"],
            "department": "ZJJ", "position": 1}  # fmt: skip
    refused = client.post("/api/ops/routing-rules", json=rule, headers=world.dispatcher.headers)
    assert refused.status_code == 403
    res = client.post("/api/ops/routing-rules", json=rule, headers=world.admin.headers)
    assert res.status_code == 201, res.text
    bad = client.post(
        "/api/ops/routing-rules", json={**rule, "name": "x2", "department": "NOPE"},
        headers=world.admin.headers,
    )  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "department"
    rules = client.get("/api/ops/routing-rules", headers=world.dispatcher.headers).json()
    assert rules[0]["name"] == rule["name"] and rules[0]["source"] == "db"
    d2 = report(client, world.call_taker, lon=IN_D2[0], lat=IN_D2[1])["case"]
    assert d2["department"] == "ZJJ" and d2["routed_by"] == rule["name"]
    d1 = report(client, world.call_taker, "路边堆了一大堆建筑垃圾，一直没有人处理")["case"]
    assert d1["department"] == "CGJ"
    rid = res.json()["id"]
    upd = client.put(
        f"/api/ops/routing-rules/{rid}",
        json={**rule, "enabled": False},
        headers=world.admin.headers,
    )
    assert upd.status_code == 200
    after = bench(client, world, category="SANITATION", lon=IN_D2[0], lat=IN_D2[1])
    assert after["department"] == "CGJ"
    gone = client.delete(f"/api/ops/routing-rules/{rid}", headers=world.admin.headers)
    assert gone.status_code == 204
