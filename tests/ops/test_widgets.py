"""The operations centre's wall shows the cases: ops widgets on the dashboard, scoped."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.ops.conftest import OpsWorld, report

WIDGETS = "ops.intake_today,ops.cases_open,ops.case_points,ops.case_heat,ops.top_categories"


def figures(client: TestClient, who: object, layout: str = "city") -> dict[str, dict]:
    r = client.get(
        f"/api/dashboard/{layout}/data?widgets={WIDGETS}",
        headers=who.headers,  # type: ignore[attr-defined]
    )
    assert r.status_code == 200, r.text
    return {k: v["data"] for k, v in r.json()["widgets"].items()}


def test_new_cases_appear_on_the_city_wall(client: TestClient, world: OpsWorld) -> None:
    before = figures(client, world.admin)
    case = report(client, world.call_taker, category="SANITATION")
    after = figures(client, world.admin)
    assert after["ops.intake_today"]["value"] == before["ops.intake_today"]["value"] + 1
    assert after["ops.cases_open"]["value"] == before["ops.cases_open"]["value"] + 1
    urls = [p["url"] for p in after["ops.case_points"]["points"]]
    assert f"/ops/cases/{case['case']['id']}" in urls
    assert sum(after["ops.case_heat"]["heat"].values()) >= 1
    assert after["ops.top_categories"]["items"][0]["name"] == "环境卫生"
    assert "垃圾桶" not in str(after)  # the wall shows no report text


def test_a_department_screen_counts_only_its_cases(client: TestClient, world: OpsWorld) -> None:
    report(client, world.call_taker, category="SANITATION")  # CGJ's
    mine = figures(client, world.cgj, layout="department")
    other = figures(client, world.zjj, layout="department")
    assert mine["ops.cases_open"]["value"] >= 1
    assert other["ops.cases_open"]["value"] == 0


def test_the_whole_city_wall_answers_with_every_domain_installed(
    client: TestClient, world: OpsWorld
) -> None:
    report(client, world.call_taker, category="SANITATION")
    r = client.get("/api/dashboard/city/data", headers=world.admin.headers)
    assert r.status_code == 200, r.text
    widgets = r.json()["widgets"]
    assert {"ops.closure_rate", "ops.department_ranking", "sensing.alarms_by_type"} <= set(widgets)
    assert all("error" not in w for w in widgets.values()), [
        k for k, w in widgets.items() if "error" in w
    ]
