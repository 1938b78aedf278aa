"""Indicators on hand-made histories (holiday and make-up day included), through HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.settings import Settings
from tests.ops.conftest import OpsWorld
from tests.ops.history import october

PERIOD = {"from": "2024-10-01", "to": "2024-10-31"}


def test_october_figures(
    client: TestClient, session: Session, settings: Settings, world: OpsWorld
) -> None:
    october(session, settings, world)
    res = client.get("/api/ops/indicators", params=PERIOD, headers=world.analyst.headers)
    assert res.status_code == 200, res.text
    (row,) = res.json()
    assert row["registered"] == 4  # b, c, d, e (a was registered on 09-30)
    assert row["due"] == 3  # a (10-10), b (10-16), c (10-18); e is due in November
    assert row["closed"] == 2 and row["closed_on_time"] == 1
    assert row["closure_rate"] == 0.6667 and row["on_time_rate"] == 0.3333
    assert row["rework_rate"] == 0.5  # b was sent back once
    assert row["extension_rate"] == 0.3333  # c
    assert row["satisfaction_rate"] == 0.5  # a satisfied, b not
    assert row["avg_handling_hours"] == 19.75  # (15 + 24.5) / 2


def test_by_department_and_scope(
    client: TestClient, session: Session, settings: Settings, world: OpsWorld
) -> None:
    october(session, settings, world)
    res = client.get(
        "/api/ops/indicators", params={**PERIOD, "group": "department"},
        headers=world.dispatcher.headers,
    )  # fmt: skip
    rows = {r["key"]: r for r in res.json()}
    assert rows["CGJ"]["due"] == 2 and rows["ZJJ"]["due"] == 1
    assert rows["ZJJ"]["closure_rate"] == 0.0
    # An officer sees his own department only.
    mine = client.get("/api/ops/indicators", params=PERIOD, headers=world.zjj.headers).json()
    assert mine[0]["due"] == 1
    other = client.get(
        "/api/ops/indicators", params={**PERIOD, "department": "CGJ"}, headers=world.zjj.headers
    )
    assert other.status_code == 403


def test_exports(client: TestClient, session: Session, settings: Settings, world: OpsWorld) -> None:
    october(session, settings, world)
    csv = client.get(
        "/api/ops/indicators", params={**PERIOD, "format": "csv", "group": "month"},
        headers=world.analyst.headers,
    )  # fmt: skip
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("分组,立案数,应结案数")
    assert "2024-10,4,3,2,1" in text
    xlsx = client.get(
        "/api/ops/indicators", params={**PERIOD, "format": "xlsx"}, headers=world.analyst.headers
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
