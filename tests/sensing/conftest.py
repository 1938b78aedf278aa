"""Sensing fixtures: an admin's headers and a small station built through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.identity.enums import Role
from tests.factories import auth_headers, make_user

STA = "/sta/v1.1"


@pytest.fixture
def admin_headers(session: Session) -> dict[str, str]:
    return auth_headers(session, make_user(session, Role.platform_admin))


def station_body(name: str = "人民路水位站", lon: float = 121.47, lat: float = 31.23) -> dict[str, Any]:
    return {
        "name": name,
        "description": "河道水位计",
        "properties": {"district": "黄浦"},
        "Locations": [
            {
                "name": f"{name}位置",
                "description": "安装点",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        ],
        "Datastreams": [
            {
                "name": f"{name}水位",
                "description": "水位",
                "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                "unitOfMeasurement": {"name": "metre", "symbol": "m", "definition": "ucum:m"},
                "Sensor": {
                    "name": "雷达水位计",
                    "description": "radar",
                    "encodingType": "application/pdf",
                    "metadata": "https://example.org/radar.pdf",
                },
                "ObservedProperty": {
                    "name": "水位",
                    "definition": "https://example.org/water_level",
                    "description": "water level",
                },
            }
        ],
    }


@pytest.fixture
def station(client: TestClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    r = client.post(f"{STA}/Things", json=station_body(), headers=admin_headers)
    assert r.status_code == 201, r.text
    thing = r.json()
    ds = client.get(f"{STA}/Things({thing['@iot.id']})/Datastreams", headers=admin_headers)
    return {"thing": thing, "datastream": ds.json()["value"][0]}
