"""Ops test city: the small box city (tests/geo/cities.py), the demo departments, and the
people of the loop — call-taker, dispatcher, officers of two departments, a grid worker,
a citizen and an analyst."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.geo import service as geo_service
from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.settings import Settings
from tests.geo.cities import LAT0, LON0, STEP, small_city
from tests.sharing.conftest import Actor, actor

TAXONOMY = Path(__file__).resolve().parents[2] / "src" / "citybase" / "demo" / "taxonomy"
#: A point in grid D1-S1-G1 and one in D2-S2-G4, and one outside the city.
IN_G1 = (LON0 + 0.25 * STEP, LAT0 + 0.25 * STEP)
IN_D2 = (LON0 + 3.75 * STEP, LAT0 + 1.75 * STEP)
OUTSIDE = (LON0 - 1.0, LAT0 - 1.0)


@dataclass
class OpsWorld:
    admin: Actor
    call_taker: Actor
    dispatcher: Actor
    cgj: Actor  # officer of CGJ (sanitation, vending …)
    zjj: Actor  # officer of ZJJ (construction)
    grid: Actor
    citizen: Actor
    analyst: Actor


def build_city(session: Session) -> None:
    identity_service.load_departments_file(
        db_session=session, path=TAXONOMY / "departments.yaml", actor=None
    )
    geo_service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    session.commit()


@pytest.fixture
def world(client: TestClient, session: Session) -> OpsWorld:
    build_city(session)
    return OpsWorld(
        admin=actor(session, Role.platform_admin, None),
        call_taker=actor(session, Role.call_taker, "ZSJ"),
        dispatcher=actor(session, Role.dispatcher, "ZSJ"),
        cgj=actor(session, Role.officer, "CGJ"),
        zjj=actor(session, Role.officer, "ZJJ"),
        grid=actor(session, Role.grid_worker, "CGJ"),
        citizen=actor(session, Role.applicant, None),
        analyst=actor(session, Role.analyst, "ZSJ"),
    )


def report(
    client: TestClient, who: Actor, text: str = "小区门口垃圾桶满了好几天没人清运", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"channel": "hotline", "text": text, "lon": IN_G1[0], "lat": IN_G1[1]}
    body.update(extra)
    res = client.post("/api/ops/cases", json=body, headers=who.headers)
    assert res.status_code in (200, 201), res.text
    out: dict[str, Any] = res.json()
    return out


def act(
    client: TestClient, who: Actor, case_id: int, action: str, expect: int = 200, **body: Any
) -> dict[str, Any]:
    res = client.post(f"/api/ops/cases/{case_id}/actions/{action}", json=body, headers=who.headers)
    assert res.status_code == expect, res.text
    out: dict[str, Any] = res.json()
    return out


@pytest.fixture
def settings_ops(settings: Settings) -> Settings:
    return settings
