"""一件事: the newborn bundle fans one form out, the birth certificate issued first serves the
items after it; before/after figures; today's figures and the live indicators."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.assess.platform import collect_live_indicators
from citybase.services import service
from tests.services.conftest import CHEN, City


def test_newborn_bundle_end_to_end_and_figures(
    client: TestClient, session: Session, city: City
) -> None:
    bundles = {b["code"]: b for b in client.get("/api/services/bundles").json()}
    assert set(bundles) >= {"OPEN-RESTAURANT", "NEWBORN", "RETIREMENT"}
    restaurant = bundles["OPEN-RESTAURANT"]
    assert restaurant["before"] == {"forms": 5, "materials": 31, "visits": 6, "days": 58}
    assert restaurant["after"]["forms"] == 1
    assert restaurant["after"]["materials"] < 31 and restaurant["after"]["visits"] <= 1

    citizen = city.citizen(session)
    born = (dt.date.today() - dt.timedelta(days=10)).isoformat()
    r = client.post("/api/services/bundles", headers=citizen.headers, json={
        "bundle": "NEWBORN", "id_number": CHEN,
        "form": {"child_name": "陈小雨", "child_birth_date": born, "child_sex": "女"},
        "consent": {"identity": True, "birth_cert": True},
    })  # fmt: skip
    assert r.status_code == 201, r.text
    joint = r.json()
    by_item = {a["item"]: a for a in joint["applications"]}
    assert list(by_item) == bundles["NEWBORN"]["items"]
    assert by_item["WJW-CSYXZM-01"]["decision"] == "approved"
    # 入户 used the e-certificate just issued, not a paper
    hukou = client.get(f"/api/services/applications/{by_item['GAJ-CSDJ-01']['id']}",
                       headers=citizen.headers).json()  # fmt: skip
    assert hukou["decision"] == "approved", hukou["outcome"]
    sources = {i["source"]["kind"] for s in hukou["outcome"]["trace"] for i in s["inputs"]}
    assert "certificate" in sources
    # the social security card needs a photo: an officer, so the bundle is still running
    assert by_item["RSJ-SBK-01"]["status"] == "submitted"
    assert joint["status"] == "in_progress"
    again = client.get(f"/api/services/bundles/applications/{joint['id']}", headers=citizen.headers)
    assert again.status_code == 200 and again.json()["status"] == "in_progress"

    figures = service.today_figures(session)
    assert figures["applications"] == 5
    assert 0 < figures["instant_share"] < 100
    assert service.today_figures(session, department="WJW")["applications"] == 2
    live = {i.indicator_id: i for i in collect_live_indicators(db_session=session)}
    assert live["instant_approval_share"].value == 100.0  # every finished one was instant
    assert live["one_thing_bundles"].value == 3
    assert 0 < live["services_once_only_share"].value < 100
    r = client.get("/api/services/figures/today", headers=citizen.headers)
    assert r.status_code == 200 and r.json()["applications"] == 5
