"""The real `frost-sta-client` (PyPI) against a live uvicorn server: create a station,
post observations one by one and as a dataArray, query with $filter/$expand and page
through @iot.nextLink."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import frost_sta_client as fsc
import pytest
import requests
from frost_sta_client.model.ext.data_array_document import DataArrayDocument
from frost_sta_client.model.ext.data_array_value import DataArrayValue
from frost_sta_client.service.auth_handler import AuthHandler
from geojson import Point

from citybase.identity import service as identity_service
from citybase.identity.enums import Role
from citybase.settings import Settings
from tests.live import LiveServer


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


class TokenHandler(AuthHandler):  # type: ignore[misc]
    """frost-sta-client's auth_handler protocol: add_auth_header() → a requests auth."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def add_auth_header(self) -> requests.auth.AuthBase:
        return BearerAuth(self.token)


@pytest.fixture
def live(committed_db: Any, tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    url, factory = committed_db
    with factory() as db:
        user = identity_service.create_user(
            db_session=db,
            actor=None,
            username="sta_admin",
            display_name="管理员",
            password="pw-123456-long",
            role=Role.platform_admin,
            department_code=None,
        )
        token, _ = identity_service.issue_token(db_session=db, user=user, name="frost", days=1)
        db.commit()
    server = LiveServer(Settings(data_dir=tmp_path, database_url=url))
    server.start()
    yield server, token
    server.stop()


def test_frost_client_creates_queries_and_pages(live: tuple[LiveServer, str]) -> None:
    server, token = live
    service = fsc.SensorThingsService(f"{server.url}/sta/v1.1", auth_handler=TokenHandler(token))
    location = fsc.Location(
        name="滨江路井盖",
        description="井盖",
        encoding_type="application/geo+json",
        location=Point((121.50, 31.25)),
    )
    thing = fsc.Thing(
        name="井盖倾角传感器-001",
        description="manhole cover tilt",
        properties={"district": "浦东"},
        locations=[location],
    )
    service.create(thing)
    assert isinstance(thing.id, int)
    sensor = fsc.Sensor(
        name="倾角计",
        description="tilt",
        encoding_type="application/pdf",
        metadata="https://example.org/tilt.pdf",
    )
    prop = fsc.ObservedProperty(
        name="倾角", definition="https://example.org/tilt", description="tilt angle"
    )
    datastream = fsc.Datastream(
        name="井盖倾角",
        description="tilt",
        observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        unit_of_measurement=fsc.UnitOfMeasurement(name="degree", symbol="°", definition="ucum:deg"),
        thing=thing,
        sensor=sensor,
        observed_property=prop,
    )
    service.create(datastream)
    for i in range(3):
        obs = fsc.Observation(
            result=float(i), phenomenon_time=f"2026-12-01T00:0{i}:00Z", datastream=datastream
        )
        service.create(obs)
    dav = DataArrayValue()
    dav.datastream = datastream
    dav.components = {DataArrayValue.Property.PHENOMENON_TIME, DataArrayValue.Property.RESULT}
    for i in range(3, 250):
        dav.add_observation(
            fsc.Observation(
                result=float(i),
                phenomenon_time=f"2026-12-01T{i // 60:02d}:{i % 60:02d}:00Z",
                datastream=datastream,
            )
        )
    doc = DataArrayDocument()
    doc.value = [dav]
    created = service.observations().create(doc)
    assert len(created) == 247
    found = service.things().query().filter("name eq '井盖倾角传感器-001'").list()
    assert [t.name for t in found] == ["井盖倾角传感器-001"]
    fetched = service.datastreams().find(datastream.id)
    assert fetched.name == "井盖倾角" and fetched.unit_of_measurement.symbol == "°"
    big = (
        service.observations()
        .query()
        .filter("result ge 100")
        .orderby("result", "ASC")
        .top(60)
        .list()
    )
    values = [o.result for o in big]  # iterating follows @iot.nextLink page by page
    assert values == [float(v) for v in range(100, 250)]
    expanded = service.things().query().expand("Datastreams($expand=ObservedProperty)").list()
    first = next(iter(expanded))
    assert first.datastreams is not None
