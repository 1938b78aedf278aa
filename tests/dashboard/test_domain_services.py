"""The small service functions the domains added for their dashboard widgets."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.datahub import service as datahub_service
from citybase.datahub.usage import count_read, flush_counts
from citybase.db import utcnow
from citybase.errors import NotFound
from citybase.geo import service as geo_service
from citybase.identity.enums import Role
from tests.dashboard.helpers import small_city
from tests.sharing.conftest import RESIDENTS_CSV, actor, dataset


def test_map_layers_and_worker_counts_within_an_area(session: Session) -> None:
    small_city(session)
    geo_service.import_geojson(
        db_session=session,
        actor=None,
        feature_collection={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": "OD", "name": "别区", "level": "district"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [118.1, 32.0],
                                [118.12, 32.0],
                                [118.12, 32.02],
                                [118.1, 32.02],
                                [118.1, 32.0],
                            ]
                        ],
                    },
                }
            ],
        },
    )
    every = geo_service.map_layers(db_session=session)
    assert [len(every[lv]["features"]) for lv in ("district", "street", "grid")] == [2, 1, 2]
    inside = geo_service.map_layers(db_session=session, within="TD-S")
    assert [f["id"] for f in inside["street"]["features"]] == ["TD-S"]
    assert inside["district"]["features"] == [] and len(inside["grid"]["features"]) == 2
    ring = every["grid"]["features"][0]["geometry"]["coordinates"][0]
    assert all(len(str(c).split(".")[-1]) <= 5 for p in ring for c in p)  # rounded
    assert geo_service.grid_worker_counts(db_session=session) == {"TD-S-G1": 1}
    assert geo_service.grid_worker_counts(db_session=session, within="OD") == {}
    with pytest.raises(NotFound):
        geo_service.map_layers(db_session=session, within="NOPE")


def test_reads_on_counts_the_publics_reads_and_downloads(
    client: TestClient, session: Session
) -> None:
    gaj = actor(session, Role.data_steward, "SGA")
    dataset(client, session, gaj, "sga-residents", RESIDENTS_CSV)
    ds = datahub_service.get_dataset(db_session=session, name="sga-residents", viewer=gaj.user)
    today = utcnow().date()
    for who, channel, n in (
        ("public", "api", 3),
        ("public", "download", 2),
        ("SZS", "download", 4),
    ):
        count_read(
            session,
            dataset_id=ds.id,
            department_code=who,
            channel=channel,
            rows=10,
            columns=None,
            reads=n,
        )
    count_read(
        session,
        dataset_id=ds.id,
        department_code="public",
        channel="api",
        rows=1,
        columns=None,
        day=today - dt.timedelta(days=1),
    )
    flush_counts(session)
    got = datahub_service.reads_on(db_session=session, day=today)
    assert got["public"] >= 5 and got["downloads"] >= 6
    mine = datahub_service.reads_on(db_session=session, day=today, department_code="SGA")
    assert mine == {"public": 5, "downloads": 6, "total": 9}
    assert datahub_service.reads_on(db_session=session, day=today, department_code="SXX") == {
        "public": 0,
        "downloads": 0,
        "total": 0,
    }
