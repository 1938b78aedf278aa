"""The dashboard API through real HTTP on SQLite and PostgreSQL: first paint, scope,
widgets of the built-in domains and of a third-party plug-in, errors, the daily briefing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypdfium2
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.assess.framework import load_framework
from citybase.identity.enums import Role
from tests.assess.builders import random_values
from tests.dashboard.helpers import ParkingPlugin, small_city, write_layouts
from tests.factories import browser_login
from tests.sharing.conftest import RESIDENTS_CSV, actor, dataset, granted


def test_sign_in_is_required(dash_client: TestClient) -> None:
    r = dash_client.get("/api/dashboard/city/data")
    assert r.status_code == 401
    r = dash_client.get("/dashboard/city", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code in (303, 307) and "/login" in r.headers["location"]


def test_first_paint_has_every_widget_with_the_viewer_scope(
    dash_client: TestClient, session: Session, parking: ParkingPlugin
) -> None:
    small_city(session)
    admin = actor(session, Role.platform_admin, None)
    r = dash_client.get("/api/dashboard/parking/data", headers=admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    widgets = body["widgets"]
    assert set(widgets) == {
        "parking.spaces_taken",
        "parking.lots",
        "sharing.grants_today",
        "geo.city_map",
        "parking.points",
        "geo.grid_workers",
        "dashboard.live_events",
        "assess.bte_triangle",
    }
    assert widgets["parking.spaces_taken"]["data"] == {"value": 0, "target": 10, "note": "P1–P3"}
    assert widgets["parking.lots"]["data"] == {"value": 3}  # the hook's original render form
    grids = widgets["geo.city_map"]["data"]["geojson"]["grid"]["features"]
    assert sorted(f["id"] for f in grids) == ["TD-S-G1", "TD-S-G2"]
    assert widgets["geo.grid_workers"]["data"]["heat"] == {"TD-S-G1": 1}
    assert widgets["assess.bte_triangle"]["data"]["index"] is None  # no assessment yet
    assert isinstance(body["last_event_id"], int)
    scope = parking.scopes[-1]
    assert scope.department_code is None and scope.layout == "parking"
    assert scope.user.id == admin.user.id and scope.day_start <= scope.now

    officer = actor(session, Role.officer, "SGA")
    dash_client.get("/api/dashboard/parking/data", headers=officer.headers)
    assert parking.scopes[-1].department_code == "SGA"


def test_only_the_widgets_asked_for_and_a_clear_error_for_others(
    dash_client: TestClient, session: Session
) -> None:
    admin = actor(session, Role.platform_admin, None)
    r = dash_client.get(
        "/api/dashboard/parking/data?widgets=parking.spaces_taken", headers=admin.headers
    )
    assert list(r.json()["widgets"]) == ["parking.spaces_taken"]
    r = dash_client.get("/api/dashboard/parking/data?widgets=ops.nothing", headers=admin.headers)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "widgets" and "ops.nothing" in err["message"]
    r = dash_client.get("/api/dashboard/nowhere/data", headers=admin.headers)
    assert r.status_code == 404 and "parking" in r.json()["error"]["message"]


def test_a_failing_widget_spoils_only_its_own_tile(
    dash_client: TestClient, session: Session, parking: ParkingPlugin
) -> None:
    admin = actor(session, Role.platform_admin, None)
    parking.fail = True
    r = dash_client.get("/api/dashboard/parking/data", headers=admin.headers)
    assert r.status_code == 200
    assert "error" in r.json()["widgets"]["parking.spaces_taken"]
    assert r.json()["widgets"]["parking.lots"]["data"] == {"value": 3}


def test_layout_definition_lists_placements_and_refresh_events(
    dash_client: TestClient, session: Session
) -> None:
    admin = actor(session, Role.platform_admin, None)
    r = dash_client.get("/api/dashboard/parking?lang=en", headers=admin.headers)
    assert r.status_code == 200
    d = r.json()
    assert d["title"] == "Parking screen" and d["columns"] == 12
    the_map = next(p for p in d["placements"] if p["widget"] == "geo.city_map")
    assert the_map["layers"] == ["parking.points", "geo.grid_workers"]  # ops not installed
    grants = d["widgets"]["sharing.grants_today"]
    assert grants["refresh_on"] == [
        {"type": "workflow.Transitioned", "where": {"workflow": "sharing_request"}}
    ]
    assert d["widgets"]["parking.spaces_taken"]["title"] == "Spaces taken today"
    keys = [
        lay["key"]
        for lay in dash_client.get("/api/dashboard/layouts", headers=admin.headers).json()
    ]
    assert {"city", "department", "parking", "hub"} <= set(keys)


def test_data_hub_and_sharing_widgets_count_what_the_viewer_may_see(
    dash_client: TestClient, session: Session
) -> None:
    gaj = actor(session, Role.data_steward, "SGA")
    zsj = actor(session, Role.data_steward, "SZS")
    outsider = actor(session, Role.officer, "SXX")
    admin = actor(session, Role.platform_admin, None)
    dataset(dash_client, session, gaj, "sga-residents", RESIDENTS_CSV)

    def figures(who: object) -> dict[str, object]:
        r = dash_client.get(
            "/api/dashboard/hub/data?widgets=datahub.datasets,sharing.grants_today,sharing.pending",
            headers=who.headers,  # type: ignore[attr-defined]
        )
        assert r.status_code == 200, r.text
        return {k: v["data"]["value"] for k, v in r.json()["widgets"].items()}

    assert figures(gaj)["datahub.datasets"] == 1
    assert figures(outsider)["datahub.datasets"] == 0
    before = figures(admin)
    granted(dash_client, gaj, zsj, "sga-residents")
    after = figures(admin)
    assert after["sharing.grants_today"] == before["sharing.grants_today"] + 1  # type: ignore[operator]
    assert figures(zsj)["sharing.grants_today"] == 1  # holds it
    assert figures(gaj)["sharing.grants_today"] == 1  # gave it
    assert figures(outsider)["sharing.grants_today"] == 0


def test_bte_triangle_shows_the_latest_assessment(
    dash_client: TestClient, session: Session
) -> None:
    analyst = actor(session, Role.analyst, "SZS")
    fw = load_framework()
    for period in ("2024", "2025"):
        body = {
            "city": {"code": "320100", "name": "示范市"},
            "period": period,
            "values": random_values(fw, int(period)),
        }
        r = dash_client.post("/api/assess/assessments", json=body, headers=analyst.headers)
        assert r.status_code == 201, r.text
    r = dash_client.get(
        "/api/dashboard/city/data?widgets=assess.bte_triangle", headers=analyst.headers
    )
    tri = r.json()["widgets"]["assess.bte_triangle"]["data"]
    assert tri["period"] == "2025" and 0 < tri["index"] <= 1
    assert tri["url"] == f"/assess/{r2_id(dash_client, analyst)}"


def r2_id(client: TestClient, who: object) -> int:
    rows = client.get("/api/assess/assessments", headers=who.headers).json()  # type: ignore[attr-defined]
    return int(next(a["id"] for a in rows if a["period"] == "2025"))


def test_who_may_open_which_layout(
    dash_settings: object, tmp_path: Path, session: Session, session_factory: object
) -> None:
    from citybase.app import create_app

    folder = dash_settings.dashboard_layout_dir  # type: ignore[attr-defined]
    write_layouts(
        folder,
        sga="""
key: sga
title_zh: 公安局专屏
title_en: Police screen
department: SGA
widgets:
  - {widget: datahub.datasets, x: 0, y: 0, w: 4, h: 2}
""",
    )
    with TestClient(create_app(dash_settings, session_factory=session_factory)) as c:  # type: ignore[arg-type]
        police = actor(session, Role.officer, "SGA")
        other = actor(session, Role.officer, "SXX")
        citizen = actor(session, Role.applicant, None)
        assert c.get("/api/dashboard/sga/data", headers=police.headers).status_code == 200
        r = c.get("/api/dashboard/sga/data", headers=other.headers)
        assert r.status_code == 403 and "SGA" in r.json()["error"]["message"]
        keys = [lay["key"] for lay in c.get("/api/dashboard/layouts", headers=other.headers).json()]
        assert "sga" not in keys and "city" in keys
        assert c.get("/api/dashboard/city/data", headers=citizen.headers).status_code == 403


def test_the_screen_page_and_its_assets(dash_client: TestClient, session: Session) -> None:
    browser_login(dash_client, session, Role.platform_admin)
    r = dash_client.get("/dashboard", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/city"
    page = dash_client.get("/dashboard/city", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "示范市城市运行一屏总览" in page.text and "/static/vendor/echarts.min.js" in page.text
    assert 'id="dash-definition"' in page.text
    en = dash_client.get("/dashboard/city?lang=en", headers={"Accept": "text/html"})
    assert "City operations at a glance" in en.text
    js = dash_client.get("/dashboard/assets/dashboard.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert dash_client.get("/dashboard/assets/..%2Fplugin.py").status_code == 404
    assert dash_client.get("/dashboard/assets/nothing.js").status_code == 404
    r = dash_client.get("/dashboard/city?carousel=city,nowhere", headers={"Accept": "text/html"})
    assert r.status_code == 404
    wall = dash_client.get(
        "/dashboard/department?carousel=all&seconds=5", headers={"Accept": "text/html"}
    )
    found = re.search(r'id="dash-definition">(.*?)</script>', wall.text, flags=re.S)
    assert found is not None
    definition = json.loads(found.group(1))
    assert definition["carousel"][:2] == ["city", "department"]  # every layout, in order
    assert definition["carousel_seconds"] == 5 and definition["key"] == "department"
    assert "parking.SpaceTaken" in definition["event_types"]


def test_daily_briefing_as_html_pdf_and_png(dash_client: TestClient, session: Session) -> None:
    small_city(session)
    admin = actor(session, Role.platform_admin, None)
    html = dash_client.get("/dashboard/parking/briefing.html", headers=admin.headers)
    assert html.status_code == 200
    assert "日报" in html.text and "今日停车" in html.text and "<svg" in html.text
    pdf = dash_client.get("/dashboard/parking/briefing.pdf", headers=admin.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    doc = pypdfium2.PdfDocument(pdf.content)
    try:
        assert len(doc) == 1  # the day on one page: figures beside the map
        text = doc[0].get_textpage().get_text_range()
    finally:
        doc.close()
    assert "今日停车" in text and "日报" in text
    assert "attachment" in pdf.headers["content-disposition"]
    png = dash_client.get("/dashboard/parking/briefing.png", headers=admin.headers)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png.content) > 20_000  # a real rendered page, not an empty image
    bad = dash_client.get("/dashboard/parking/briefing.doc", headers=admin.headers)
    assert bad.status_code == 404
