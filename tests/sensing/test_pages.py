"""Sensing pages: the sensor map with status, a datastream's chart, the alarm list —
through HTTP on both backends, and once in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.settings import Settings
from tests.live import LiveServer, login
from tests.sensing.conftest import STA, make_datastream


def test_map_chart_and_alarms_pages(
    client: TestClient, admin_headers: dict[str, str], station: dict[str, Any]
) -> None:
    ds_id = station["datastream"]["@iot.id"]
    rule = {
        "name": "水位超警戒",
        "kind": "threshold",
        "category": "DRAINAGE",
        "datastream_id": ds_id,
        "params": {"above": 3.0},
    }
    assert client.post(f"{STA}/AlarmRules", json=rule, headers=admin_headers).status_code == 201
    assert (
        client.post(
            f"{STA}/Datastreams({ds_id})/Observations", json={"result": 4.2}, headers=admin_headers
        ).status_code
        == 201
    )
    page = client.get("/sensing", headers=admin_headers)
    assert page.status_code == 200
    assert 'data-status="alarming"' in page.text and "人民路水位站" in page.text
    chart = client.get(f"/sensing/datastreams/{ds_id}?days=2&grain=minute", headers=admin_headers)
    assert chart.status_code == 200 and "<polyline" in chart.text and "4.20" in chart.text
    alarms = client.get("/sensing/alarms?state=active", headers=admin_headers)
    assert "水位超警戒" in alarms.text and "超过阈值" in alarms.text
    assert client.get("/sensing").status_code in (303, 401)


def test_sensor_map_in_chromium(committed_db: Any, tmp_path: Path, page: Any) -> None:
    url, factory = committed_db
    make_datastream(factory, "滨江路噪声监测")
    with factory() as db:
        identity_service.create_user(
            db_session=db,
            actor=None,
            username="viewer",
            display_name="观察员",
            password="pw-123456-long",
            role=Role.platform_admin,
            department_code=None,
        )
        db.commit()
    server = LiveServer(Settings(data_dir=tmp_path, database_url=url))
    server.start()
    try:
        login(page, server, "viewer", "pw-123456-long")
        page.goto(server.url + "/sensing")
        circle = page.locator("[data-testid=sensor-map] circle")
        assert circle.count() == 1 and circle.get_attribute("data-status") == "stale"
        assert "离线" in page.locator("[data-testid=sensors]").inner_text()
        page.locator("[data-testid=sensors] a").first.click()
        page.wait_for_load_state("networkidle")
        assert "所选时段没有数据" in page.content()
    finally:
        server.stop()
