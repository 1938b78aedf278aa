"""The ops pages through real HTTP (both backends): what each person sees and can do.

Chromium drives the whole loop in test_browser.py; here each page's content, its forms'
outcomes and its errors are checked one by one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from citybase.ops.settings import get_ops_settings
from tests.ops.conftest import IN_D2, IN_G1, OUTSIDE, OpsWorld, act, report

HTML = {"Accept": "text/html"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def h(who: Any) -> dict[str, str]:
    return {**who.headers, **HTML}


@pytest.fixture
def by_hand(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A city whose dispatchers dispatch every case by hand (no auto-dispatch)."""
    monkeypatch.setenv("CITYBASE_OPS_AUTO_DISPATCH", "false")
    get_ops_settings.cache_clear()
    yield
    get_ops_settings.cache_clear()


def test_call_taker_form_check_and_caller_lookup(client: TestClient, world: OpsWorld) -> None:
    page = client.get("/ops/intake", headers=h(world.call_taker))
    assert page.status_code == 200 and 'name="reporter_phone"' in page.text
    assert "autofocus" in page.text and "data-map-click" in page.text
    check = client.get(
        "/ops/intake/check",
        params={"text": "小区门口垃圾桶满了没人清运", "lon": IN_G1[0], "lat": IN_G1[1]},
        headers=h(world.call_taker),
    )
    assert check.status_code == 200
    assert 'data-pick-category="SANITATION"' in check.text and "D1-S1-G1" in check.text
    first = report(client, world.call_taker, reporter_phone="13812345678")["case"]["id"]
    check = client.get(
        "/ops/intake/check",
        params={"text": "小区门口垃圾桶满了好几天没人清运", "lon": IN_G1[0], "lat": IN_G1[1]},
        headers=h(world.call_taker),
    )
    assert 'data-testid="duplicates"' in check.text and f"#{first}" in check.text
    outside = client.get("/ops/intake/check", params={"text": "路灯坏了", "lon": OUTSIDE[0],
                         "lat": OUTSIDE[1]}, headers=h(world.call_taker))  # fmt: skip
    assert "不在本市范围内" in outside.text
    caller = client.get("/ops/intake/caller", params={"reporter_phone": "13812345678"},
                        headers=h(world.call_taker))  # fmt: skip
    assert f"/ops/cases/{first}" in caller.text
    new = client.get("/ops/intake/caller", params={"reporter_phone": "13900000000"},
                     headers=h(world.call_taker))  # fmt: skip
    assert 'data-testid="caller-new"' in new.text
    refused = client.get("/ops/intake/caller", params={"reporter_phone": "13812345678"},
                         headers=h(world.cgj))  # fmt: skip
    assert refused.status_code == 403


def test_intake_post_and_its_errors(client: TestClient, world: OpsWorld) -> None:
    form = {
        "reporter_phone": "13812345678", "reporter_name": "李雷", "lon": str(IN_G1[0]),
        "lat": str(IN_G1[1]), "text": "路边垃圾桶满了，垃圾没人清运", "form_key": "page-k1",
    }  # fmt: skip
    res = client.post("/ops/intake", data=form, headers=h(world.call_taker),
                      follow_redirects=False)  # fmt: skip
    assert res.status_code == 303 and res.headers["location"].startswith("/ops/intake?done=")
    cid = int(res.headers["location"].split("=")[1])
    again = client.post("/ops/intake", data=form, headers=h(world.call_taker),
                        follow_redirects=False)  # fmt: skip
    assert again.headers["location"] == res.headers["location"]  # a double submit: one case
    case = client.get(f"/api/ops/cases/{cid}", headers=world.dispatcher.headers).json()
    assert case["channel"] == "hotline" and case["status"] == "dispatched"
    bad = client.post("/ops/intake", data={**form, "lon": str(OUTSIDE[0]), "lat": str(OUTSIDE[1]),
                      "form_key": "page-k2"}, headers=h(world.call_taker))  # fmt: skip
    assert bad.status_code == 422 and 'data-field="lon"' in bad.text
    assert "路边垃圾桶满了" in bad.text  # what was typed is kept
    assert client.get("/api/ops/cases", headers=world.dispatcher.headers).json()["total"] == 1
    assert client.get("/ops/intake", headers=h(world.cgj)).status_code == 403


def test_bulk_dispatch_case_moves_and_replies(
    client: TestClient, world: OpsWorld, by_hand: None
) -> None:
    a = report(client, world.call_taker)["case"]["id"]
    b = report(client, world.call_taker, text="工地夜间施工噪音扰民", lon=IN_D2[0], lat=IN_D2[1],
               category="CONSTRUCTION_NOISE")["case"]["id"]  # fmt: skip
    queue = client.get("/ops/queue", headers=h(world.dispatcher))
    assert f'data-testid="pick-{a}"' in queue.text and f'data-testid="pick-{b}"' in queue.text
    assert 'data-testid="queue-map"' in queue.text and 'class="case-marker"' in queue.text
    res = client.post("/ops/queue/dispatch", data={"case_id": [str(a), str(b)]},
                      headers=h(world.dispatcher), follow_redirects=False)  # fmt: skip
    assert res.status_code == 303
    cases = {c["id"]: c for c in client.get("/api/ops/cases", headers=world.dispatcher.headers)
             .json()["items"]}  # fmt: skip
    assert cases[a]["status"] == cases[b]["status"] == "dispatched"
    assert cases[a]["department"] == "CGJ"
    page = client.get(f"/ops/cases/{a}", headers=h(world.cgj))
    assert 'data-testid="move-accept"' in page.text and 'data-testid="move-return"' in page.text
    client.post(f"/ops/cases/{a}/act", data={"action": "accept"}, headers=h(world.cgj))
    missing = client.post(f"/ops/cases/{a}/act", data={"action": "handle"}, headers=h(world.cgj))
    assert missing.status_code in (409, 422) and "result" in missing.text
    done = client.post(f"/ops/cases/{a}/act", data={"action": "handle", "result": "已清运"},
                       files={"photo": ("after.png", PNG, "image/png")}, headers=h(world.cgj),
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    patrol = client.get("/ops/patrol", headers=h(world.grid))
    assert f'data-testid="confirm-{a}"' in patrol.text
    client.post(f"/ops/cases/{a}/act", data={"action": "confirm", "next": "/ops/patrol"},
                headers=h(world.grid))  # fmt: skip
    client.post(f"/ops/cases/{a}/act", data={"action": "close"}, headers=h(world.dispatcher))
    client.post(
        f"/ops/cases/{a}/reply", data={"text": "已清运完毕，谢谢"}, headers=h(world.dispatcher)
    )
    page = client.get(f"/ops/cases/{a}", headers=h(world.dispatcher))
    assert 'data-status="closed"' in page.text and 'data-testid="photo"' in page.text
    assert 'data-testid="move-follow_up"' in page.text and "已清运完毕" in page.text
    other = client.get(f"/ops/cases/{a}", headers=h(world.zjj))
    assert other.status_code == 404


def test_citizen_report_and_my_reports(client: TestClient, world: OpsWorld) -> None:
    form = {"text": "路灯坏了晚上一片漆黑", "lon": str(IN_G1[0]), "lat": str(IN_G1[1]),
            "anonymous": "1", "reporter_phone": "13700000000", "form_key": "page-c1"}  # fmt: skip
    res = client.post("/ops/report", data=form, files={"photo": ("p.png", PNG, "image/png")},
                      headers=h(world.citizen), follow_redirects=False)  # fmt: skip
    assert res.status_code == 303 and res.headers["location"].startswith("/ops/my?sent=")
    cid = int(res.headers["location"].split("=")[1])
    detail = client.get(f"/api/ops/cases/{cid}", headers=world.dispatcher.headers).json()
    assert detail["channel"] == "web" and detail["reports"][0]["anonymous"] is True
    assert detail["reports"][0]["reporter_phone"] == "" and len(detail["photos"]) == 1
    mine = client.get("/ops/my", headers=h(world.citizen))
    assert f'data-case="{cid}"' in mine.text
    bad = client.post("/ops/report", data={**form, "form_key": "page-c2"},
                      files={"photo": ("p.txt", b"not an image", "text/plain")},
                      headers=h(world.citizen))  # fmt: skip
    assert bad.status_code == 422 and 'data-field="photo"' in bad.text
    assert len(client.get("/api/ops/my-reports", headers=world.citizen.headers).json()) == 1
    assert client.get("/ops/queue", headers=h(world.citizen)).status_code == 403


def test_grid_worker_patrol_report(client: TestClient, world: OpsWorld) -> None:
    form = {"text": "人行道井盖缺失", "lon": str(IN_G1[0]), "lat": str(IN_G1[1]),
            "category": "SANITATION", "form_key": "page-g1"}  # fmt: skip
    res = client.post("/ops/patrol", data=form, files={"photo": ("p.png", PNG, "image/png")},
                      headers=h(world.grid), follow_redirects=False)  # fmt: skip
    assert res.status_code == 303
    cid = int(res.headers["location"].split("=")[1])
    case = client.get(f"/api/ops/cases/{cid}", headers=world.dispatcher.headers).json()
    assert case["channel"] == "grid" and case["category"] == "SANITATION"


def test_rules_admin_and_test_bench(client: TestClient, world: OpsWorld) -> None:
    assert client.get("/ops/rules", headers=h(world.dispatcher)).status_code == 403
    res = client.post("/ops/rules", data={"name": "夜间噪音归公安", "position": "10",
                      "categories": "SANITATION", "area_codes": "D2", "department": "ZJJ"},
                      headers=h(world.admin), follow_redirects=False)  # fmt: skip
    assert res.status_code == 303
    page = client.get("/ops/rules", headers=h(world.admin))
    assert 'data-name="夜间噪音归公安"' in page.text
    probe = {"category": "SANITATION", "text": "垃圾", "lon": str(IN_D2[0]), "lat": str(IN_D2[1])}
    bench = client.post("/ops/rules/test", data=probe, headers=h(world.admin))
    assert 'data-department="ZJJ"' in bench.text and "夜间噪音归公安" in bench.text
    probe = {"category": "SANITATION", "text": "垃圾", "lon": str(IN_G1[0]), "lat": str(IN_G1[1])}
    bench = client.post("/ops/rules/test", data=probe, headers=h(world.admin))
    assert 'data-department="CGJ"' in bench.text
    bad = client.post("/ops/rules", data={"name": "x1", "department": "NOPE"},
                      headers=h(world.admin))  # fmt: skip
    assert bad.status_code == 422 and 'data-field="department"' in bad.text


def test_indicators_page(client: TestClient, world: OpsWorld) -> None:
    cid = report(client, world.call_taker)["case"]["id"]
    act(client, world.cgj, cid, "accept")
    page = client.get("/ops/indicators?group=department", headers=h(world.analyst))
    assert page.status_code == 200 and 'data-key="CGJ"' in page.text
    assert 'data-testid="ind-chart"' in page.text and 'class="hot-spot"' in page.text
    assert "format=csv" in page.text and "format=xlsx" in page.text
    bad = client.get("/ops/indicators?from=yesterday", headers=h(world.analyst))
    assert bad.status_code == 422 and 'data-field="from"' in bad.text
    assert client.get("/ops/indicators", headers=h(world.citizen)).status_code == 403


def test_assets_and_home_redirects(client: TestClient, world: OpsWorld) -> None:
    js = client.get("/ops/assets/ops.js")
    assert js.status_code == 200 and "data-map-click" in js.text
    assert client.get("/ops/assets/other.js").status_code == 404
    res = client.get("/ops", headers=h(world.grid), follow_redirects=False)
    assert res.headers["location"] == "/ops/patrol"


def test_pages_in_english(client: TestClient, world: OpsWorld) -> None:
    page = client.get("/ops/queue?lang=en", headers=h(world.dispatcher))
    assert "Dispatch workbench" in page.text and "派遣工作台" not in page.text
    page = client.get("/ops/intake?lang=en", headers=h(world.call_taker))
    assert "12345 hotline intake" in page.text and "Enter submits" in page.text
