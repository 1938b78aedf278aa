"""The assess API and pages through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.assess.framework import Framework, load_framework
from citybase.audit.models import AuditRecord
from citybase.hookspecs import LiveIndicator, hookimpl
from citybase.identity.enums import Role
from citybase.plugins import get_plugin_manager
from tests.assess.builders import random_values
from tests.factories import auth_headers, make_user


@pytest.fixture
def planner(session: Session) -> dict[str, str]:
    return auth_headers(session, make_user(session, role=Role.analyst))


@pytest.fixture(scope="module")
def fw() -> Framework:
    return load_framework()


def _body(fw: Framework, period: str = "2025", seed: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "city": {"code": "320100", "name": "示范市"},
        "period": period,
        "values": random_values(fw, seed),
        "robustness": {"draws": 200},
        **extra,
    }


def _actions(session: Session, prefix: str) -> list[AuditRecord]:
    return list(session.scalars(select(AuditRecord).where(AuditRecord.action.startswith(prefix))))


def test_roles(client: TestClient, session: Session) -> None:
    assert client.get("/api/assess/assessments").status_code == 401
    officer = auth_headers(session, make_user(session, role=Role.officer))
    r = client.get("/api/assess/assessments", headers=officer)
    assert r.status_code == 403 and "analyst" in r.json()["error"]["message"]
    admin = auth_headers(session, make_user(session, role=Role.platform_admin))
    assert client.get("/api/assess/assessments", headers=admin).status_code == 200


def test_compute_stores_nothing(client: TestClient, planner: dict[str, str], fw: Framework) -> None:
    r = client.post("/api/assess/compute", json=_body(fw), headers=planner)
    assert r.status_code == 200, r.text
    result = r.json()
    for key in ("axes", "triangle_area", "index", "elements", "barrel", "roadmap"):
        assert key in result
    assert client.get("/api/assess/assessments", headers=planner).json() == []


def test_store_conflict_replace_and_audit(
    client: TestClient, session: Session, planner: dict[str, str], fw: Framework
) -> None:
    r = client.post("/api/assess/assessments", json=_body(fw), headers=planner)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["revision"] == 1 and first["index"] == first["result"]["index"]
    again = client.post("/api/assess/assessments", json=_body(fw), headers=planner)
    assert again.status_code == 409
    assert "send replace=true" in again.json()["error"]["message"]
    redo = client.post(
        "/api/assess/assessments",
        params={"replace": "true"},
        json=_body(fw, seed=2),
        headers=planner,
    )
    assert redo.status_code == 201 and redo.json()["revision"] == 2
    assert redo.json()["id"] == first["id"]
    actions = [a.action for a in _actions(session, "assess.assessment")]
    assert actions == ["assess.assessment.create", "assess.assessment.replace"]
    got = client.get(f"/api/assess/assessments/{first['id']}", headers=planner).json()
    assert got["inputs"]["values"]["gov_cloud_share"] == random_values(fw, 2)["gov_cloud_share"]
    assert (
        client.delete(f"/api/assess/assessments/{first['id']}", headers=planner).status_code == 204
    )
    assert _actions(session, "assess.assessment.delete")
    assert client.get(f"/api/assess/assessments/{first['id']}", headers=planner).status_code == 404


def test_bad_input_names_the_indicator(
    client: TestClient, planner: dict[str, str], fw: Framework
) -> None:
    body = _body(fw)
    body["values"]["services_online_shar"] = 80
    body["values"]["hotline_response_hours"] = {"value": 3, "unit": "%"}
    r = client.post("/api/assess/compute", json=body, headers=planner)
    assert r.status_code == 422
    err = r.json()["error"]
    assert "2 problems" in err["message"] and "'services_online_shar'" in err["message"]
    assert "hotline_response_hours" in err["message"]
    r = client.post("/api/assess/compute", json=_body(fw, framework="/etc/passwd"), headers=planner)
    assert r.status_code == 422 and r.json()["error"]["field"] == "framework"
    r = client.post("/api/assess/compute", json=_body(fw, period="twenty"), headers=planner)
    assert r.status_code == 422


def test_peers_feed_entropy_and_topsis(
    client: TestClient, session: Session, planner: dict[str, str], fw: Framework
) -> None:
    for i in range(10):
        r = client.put(
            f"/api/assess/peers/2025/peer_{i}",
            json={"name": f"同类{i}", "values": random_values(fw, 50 + i)},
            headers=planner,
        )
        assert r.status_code == 200, r.text
    bad = client.put(
        "/api/assess/peers/2025/peer_x", json={"values": {"gov_cloud_share": 300}}, headers=planner
    )
    assert bad.status_code == 422 and "gov_cloud_share" in bad.json()["error"]["message"]
    assert (
        len(client.get("/api/assess/peers", params={"period": "2025"}, headers=planner).json())
        == 10
    )
    r = client.post(
        "/api/assess/compute", json=_body(fw, weights={"method": "entropy"}), headers=planner
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert len(result["peers"]["cities"]) == 11 and result["weights"]["method"] == "entropy"
    assert len(result["peers"]["topsis"]["cities"]) == 11
    none = client.post(
        "/api/assess/compute",
        params={"use_stored_peers": "false"},
        json=_body(fw, weights={"method": "entropy"}),
        headers=planner,
    )
    assert none.status_code == 422 and "peer cities" in none.json()["error"]["message"]
    assert len(_actions(session, "assess.peer.create")) == 10
    assert client.delete("/api/assess/peers/2025/peer_0", headers=planner).status_code == 204


def test_history_compare_and_reports(
    client: TestClient, planner: dict[str, str], fw: Framework
) -> None:
    ids = []
    for period, seed in (("2024", 3), ("2025", 4)):
        r = client.post("/api/assess/assessments", json=_body(fw, period, seed), headers=planner)
        ids.append(r.json()["id"])
    hist = client.get("/api/assess/cities/320100/history", headers=planner).json()
    assert [h["period"] for h in hist] == ["2024", "2025"]
    diff = client.get(
        "/api/assess/cities/320100/compare",
        params={"base": "2024", "target": "2025"},
        headers=planner,
    ).json()
    assert diff["index"]["delta"] == pytest.approx(hist[1]["index"] - hist[0]["index"], abs=1e-5)
    for change in diff["elements"].values():  # element changes split exactly by indicator
        assert change["delta"] == pytest.approx(sum(change["contributions"].values()), abs=1e-4)
    assert diff["movers"] and abs(diff["movers"][0]["contribution"]) >= abs(
        diff["movers"][-1]["contribution"]
    )
    missing = client.get(
        "/api/assess/cities/320100/compare",
        params={"base": "2020", "target": "2025"},
        headers=planner,
    )
    assert missing.status_code == 404
    html = client.get(f"/api/assess/assessments/{ids[1]}/report.html", headers=planner)
    assert html.status_code == 200 and "<svg" in html.text and "历年趋势" in html.text
    pdf = client.get(f"/api/assess/assessments/{ids[1]}/report.pdf", headers=planner)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"


def test_architecture_generated_then_edited(
    client: TestClient, session: Session, planner: dict[str, str]
) -> None:
    r = client.get("/api/assess/architecture/320100/government", headers=planner)
    assert r.status_code == 200, r.text
    outline = r.json()
    assert set(outline["sections"]) == {"ba", "ia", "aa", "ta"}
    sources = {i["source"] for s in outline["sections"].values() for i in s}
    assert {"framework", "roadmap", "template"} <= sources
    assert "modules" in outline["sources"] and outline["edited"] is False
    assert any(i.get("indicator") == "services_online_share" for i in outline["sections"]["ba"])
    common = client.get("/api/assess/architecture/320100/common", headers=planner).json()
    assert any(i["name"] == "assess" for i in common["sections"]["ta"])  # installed domains
    edit = {
        "sections": {
            "ba": ["一网通办受理", {"name": "秒批", "detail": "规则"}],
            "ia": [],
            "aa": [],
            "ta": [],
        }
    }
    saved = client.put("/api/assess/architecture/320100/government", json=edit, headers=planner)
    assert saved.status_code == 200 and saved.json()["edited"] is True
    again = client.get("/api/assess/architecture/320100/government", headers=planner).json()
    assert [i["name"] for i in again["sections"]["ba"]] == ["一网通办受理", "秒批"]
    assert _actions(session, "assess.architecture.save")
    bad = client.put(
        "/api/assess/architecture/320100/government",
        json={"sections": {"ba": [{"detail": "no name"}]}},
        headers=planner,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "ba[0]"
    assert client.get("/api/assess/architecture/320100/mars", headers=planner).status_code == 404


class _LivePlugin:
    @hookimpl
    def citybase_live_indicators(self, session: Session) -> list[LiveIndicator]:
        return [
            LiveIndicator(
                "data_graded_share", 0.62, "share", "test-datahub", "2026-06-30T00:00:00Z"
            ),
            LiveIndicator("hotline_response_hours", 30, "min", "test-ops", "2026-06-30T00:00:00Z"),
        ]


@pytest.fixture
def live_plugin() -> Iterator[None]:
    pm = get_plugin_manager()
    plugin = _LivePlugin()
    pm.register(plugin, name="test-live")
    yield
    pm.unregister(plugin)


def test_live_indicators_mix_with_entered(
    client: TestClient, planner: dict[str, str], fw: Framework, live_plugin: None
) -> None:
    live = client.get("/api/assess/live", headers=planner).json()
    ours = {i["indicator_id"] for i in live if i["source"].startswith("test-")}
    assert ours == {"data_graded_share", "hotline_response_hours"}
    r = client.post("/api/assess/assessments", json=_body(fw, "2026", live=True), headers=planner)
    assert r.status_code == 201, r.text
    result = r.json()["result"]
    graded = result["indicators"]["data_graded_share"]
    assert graded["source"] == "live" and graded["value"] == pytest.approx(62.0)
    assert graded["origin"] == "test-datahub" and graded["measured_at"].startswith("2026-06-30")
    assert result["indicators"]["hotline_response_hours"]["value"] == pytest.approx(0.5)
    assert result["indicators"]["gov_cloud_share"]["source"] == "entered"
    live_used = {k for k, v in result["indicators"].items() if v["source"] == "live"}
    assert {"data_graded_share", "hotline_response_hours"} <= live_used
    assert result["sources"]["live"] == len(live_used)
    assert any("replaces the entered" in w for w in result["warnings"])
    assert r.json()["live"] is True


def test_pages(
    client: TestClient, session: Session, planner: dict[str, str], fw: Framework
) -> None:
    html = {**planner, "Accept": "text/html"}
    for period, seed in (("2024", 5), ("2025", 6)):
        client.post("/api/assess/assessments", json=_body(fw, period, seed), headers=planner)
    index = client.get("/assess", headers=html)
    assert index.status_code == 200 and 'data-testid="assess-list"' in index.text
    assert 'data-testid="assess-trend"' in index.text
    rows = client.get("/api/assess/assessments", headers=planner).json()
    detail = client.get(f"/assess/{rows[-1]['id']}", headers=html)
    assert detail.status_code == 200 and detail.text.count("<svg") >= 4
    assert "木桶效应" in detail.text and "“1+N”实施路线图" in detail.text
    cmp = client.get(
        "/assess/compare", params={"city": "320100", "base": "2024", "target": "2025"}, headers=html
    )
    assert cmp.status_code == 200 and 'data-testid="assess-compare"' in cmp.text
    arch = client.get("/assess/architecture/320100/governance", headers=html)
    assert arch.status_code == 200 and 'data-testid="assess-4a"' in arch.text
    saved = client.post(
        "/assess/architecture/320100/governance",
        data={"ba": "事件受理 | 12345\n派遣", "ia": "", "aa": "一网统管", "ta": ""},
        headers=planner,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    arch = client.get("/assess/architecture/320100/governance", headers=html)
    assert "事件受理" in arch.text and "一网统管" in arch.text
    english = client.get("/assess", params={"lang": "en"}, headers=html)
    assert "City digital transformation assessment" in english.text


def test_upload_page_runs_csv(client: TestClient, planner: dict[str, str], fw: Framework) -> None:
    values = random_values(fw, 8)
    csv = "indicator,value\n" + "".join(f"{k},{v}\n" for k, v in values.items())
    r = client.post(
        "/assess/run",
        data={"city": "320100", "period": "2023"},
        files={"file": ("values.csv", io.BytesIO(csv.encode()), "text/csv")},
        headers=planner,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/assess/")
    bad = client.post(
        "/assess/run",
        data={"period": "2023"},
        files={"file": ("values.txt", io.BytesIO(b"x"), "text/plain")},
        headers={**planner, "Accept": "text/html"},
    )
    assert bad.status_code == 422 and "Upload a .yaml, .csv or .xlsx file" in bad.text


def test_architecture_ia_lists_the_domains_datahub_datasets(
    client: TestClient, session: Session, planner: dict[str, str]
) -> None:
    steward = auth_headers(
        session, make_user(session, role=Role.data_steward, department_code="ZSJ")
    )
    body = {
        "name": "gov_service_items",
        "title": "政务服务事项目录",
        "description": "全市政务服务事项清单。",
        "theme": "government",
        "keywords": ["政务服务"],
        "update_frequency": "monthly",
        "licence": "gov-internal",
        "sharing_type": "unconditional",
        "open_type": "not_open",
    }
    created = client.post("/api/datahub/datasets", json=body, headers=steward)
    assert created.status_code == 201, created.text
    outline = client.get(
        "/api/assess/architecture/320100/government", params={"regenerate": "true"}, headers=planner
    ).json()
    ia = [i for i in outline["sections"]["ia"] if i["source"] == "platform:datahub"]
    assert [i["name"] for i in ia] == ["政务服务事项目录"]
    assert "unconditional" in ia[0]["detail"]
    assert outline["sources"]["datahub"].startswith("1 datasets")
    transport = client.get("/api/assess/architecture/320100/transport", headers=planner).json()
    assert not [i for i in transport["sections"]["ia"] if i["source"] == "platform:datahub"]


def test_single_source_share_is_measured_live_from_the_element_registry(
    client: TestClient, session: Session, planner: dict[str, str], fw: Framework
) -> None:
    # the data hub measures nothing yet (services measure their catalogue, which is data)
    DATAHUB_IDS = {
        "data_single_source_share", "data_shareable_share", "open_datasets_share",
        "data_graded_share",
    }  # fmt: skip
    before = client.get("/api/assess/live", headers=planner).json()
    assert [i for i in before if i["indicator_id"] in DATAHUB_IDS] == []
    admin = auth_headers(session, make_user(session, role=Role.platform_admin))
    steward = auth_headers(
        session, make_user(session, role=Role.data_steward, department_code="ZSJ")
    )
    body = {
        "name": "legal_entities",
        "title": "法人基础信息",
        "description": "法人单位登记信息。",
        "theme": "credit",
        "keywords": ["法人"],
        "update_frequency": "monthly",
        "licence": "gov-internal",
        "sharing_type": "conditional",
        "sharing_condition": "经审核后共享",
        "open_type": "not_open",
    }
    made = client.post("/api/datahub/datasets", json=body, headers=steward)
    assert made.status_code == 201, made.text
    csv = "统一社会信用代码,名称\n91320100MA1XXXXX0Y,示范公司\n".encode()
    up = client.post(
        "/api/datahub/datasets/legal_entities/versions",
        files={"file": ("entities.csv", csv)},
        headers=steward,
    )
    assert up.status_code == 201, up.text
    for code, name in (("entity_name", "法人名称"), ("entity_phone", "法人联系电话")):
        r = client.post("/api/datahub/elements", json={"code": code, "name": name}, headers=admin)
        assert r.status_code == 201, r.text
    bind = client.post(
        "/api/datahub/elements/entity_name/bindings",
        json={"dataset": "legal_entities", "column": "名称", "role": "authority"},
        headers=admin,
    )
    assert bind.status_code == 201, bind.text
    live = client.get("/api/assess/live", headers=planner).json()
    measured = {
        i["indicator_id"]: (i["value"], i["unit"]) for i in live if i["indicator_id"] in DATAHUB_IDS
    }
    assert measured == {
        "data_single_source_share": (50.0, "%"),
        "data_shareable_share": (100.0, "%"),  # the one dataset is 有条件共享
        "open_datasets_share": (0.0, "%"),  # ... and 不予开放
        "data_graded_share": (100.0, "%"),  # graded when it was loaded
    }
    result = client.post(
        "/api/assess/compute", json=_body(fw, "2026", live=True), headers=planner
    ).json()
    single = result["indicators"]["data_single_source_share"]
    assert single["source"] == "live" and single["value"] == 50.0
    assert "1 of 2 data elements" in single["note"]
    outline = client.get(
        "/api/assess/architecture/320100/government", params={"regenerate": "true"}, headers=planner
    ).json()
    assert any(
        i["name"].startswith("法人名称 (entity_name, authority)") for i in outline["sections"]["ia"]
    )


def test_store_with_missing_elements_keeps_nulls(
    client: TestClient, planner: dict[str, str], fw: Framework
) -> None:
    body = _body(fw, "2022")
    for ind in fw.indicators:
        if ind.element == "culture":
            body["values"][ind.id] = None
    r = client.post("/api/assess/assessments", json=body, headers=planner)
    assert r.status_code == 201, r.text
    stored = r.json()
    assert stored["index"] is None and stored["axes"]["E"] is None
    assert stored["result"]["elements"]["culture"] is None
    assert stored["result"]["robustness"]["cities"]["320100"]["index"]["p50"] is None
    page = client.get(f"/assess/{stored['id']}", headers={**planner, "Accept": "text/html"})
    assert page.status_code == 200
    assert "element &#39;culture&#39; is missing" in page.text  # the warning is shown
