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


def station_body(
    name: str = "人民路水位站", lon: float = 121.47, lat: float = 31.23
) -> dict[str, Any]:
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


@pytest.fixture
def committed_db(backend: str, tmp_path: Any) -> Any:
    """A fresh, migrated database whose commits are real (for other processes and threads)."""
    from citybase.db import make_engine, make_session_factory, upgrade
    from tests.conftest import create_postgres_database, drop_postgres_database

    name = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'citybase.db'}"
    else:
        url, name = create_postgres_database()
    engine = make_engine(url)
    upgrade(engine)
    yield url, make_session_factory(engine)
    engine.dispose()
    if name is not None:
        drop_postgres_database(name)


def make_datastream(factory: Any, name: str = "井盖倾角") -> int:
    """A Thing with one Datastream, committed, built by the same writer the API uses."""
    from citybase.sensing.sta.entities import ENTITY_SETS
    from citybase.sensing.sta.write import Writer

    with factory() as db:
        body = station_body(name)
        thing_id = Writer(db).create(ENTITY_SETS["Things"], body, {})
        from sqlalchemy import select

        from citybase.sensing.models import Datastream

        ds_id = db.scalar(select(Datastream.id).where(Datastream.thing_id == thing_id))
        db.commit()
    return int(ds_id)
