"""Importing GeoJSON through the service: all or nothing, upsert by code, audited."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from shapely.geometry import box
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.errors import PermissionDenied, ValidationFailed
from citybase.geo import service
from citybase.geo.enums import Level
from citybase.geo.models import Area
from citybase.identity.enums import Role
from tests.factories import make_user
from tests.geo.cities import LAT0, LON0, STEP, collection, feature, small_city, small_city_layer


def area_count(session: Session) -> int:
    return int(session.scalar(select(func.count(Area.id))) or 0)


def import_audits(session: Session) -> list[AuditRecord]:
    return list(session.scalars(select(AuditRecord).where(AuditRecord.action == "geo.import")))


def test_import_creates_the_hierarchy(session: Session) -> None:
    report = service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    session.commit()
    assert (len(report.created), len(report.updated), len(report.unchanged)) == (22, 0, 0)
    assert report.levels == {"district": 2, "street": 4, "grid": 16}

    grid = service.get_area(db_session=session, code="D2-S1-G3")
    assert grid.level == "grid" and grid.parent_code == "D2-S1"
    chain = service.ancestors(db_session=session, area=grid)
    assert [a.code for a in chain] == ["D2", "D2-S1"]
    assert grid.bbox == pytest.approx(
        (LON0 + 2 * STEP, LAT0 + STEP, LON0 + 2.5 * STEP, LAT0 + 2 * STEP)
    )
    # 0.01° × 0.02° at 31.2°N: ≈ 952 m × 2224 m.
    assert grid.area_m2 == pytest.approx(2.117e6, rel=0.01)
    streets = service.list_areas(db_session=session, level=Level.street, parent_code="D1")
    assert [s.code for s in streets] == ["D1-S1", "D1-S2"]
    assert len(service.list_areas(db_session=session, level="grid")) == 16

    (audit,) = import_audits(session)
    assert audit.actor_name == "system"
    assert sorted(json.loads(audit.detail)["created"]) == sorted(
        f["properties"]["code"] for f in small_city()["features"]
    )


def test_reimport_is_idempotent_and_changes_are_updates(session: Session) -> None:
    service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    session.commit()
    again = service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    session.commit()
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 22)
    assert area_count(session) == 22

    # Levels imported one file at a time (level given, not in properties) are the same areas.
    for level in ("district", "street", "grid"):
        r = service.import_geojson(
            db_session=session,
            actor=None,
            feature_collection=small_city_layer(level),
            level=level,
        )
        assert r.created == [] and r.updated == []

    renamed = small_city()
    renamed["features"][0]["properties"]["name"] = "新名字"
    r = service.import_geojson(db_session=session, actor=None, feature_collection=renamed)
    session.commit()
    assert r.updated == ["D1"] and len(r.unchanged) == 21
    assert service.get_area(db_session=session, code="D1").name == "新名字"
    assert len(import_audits(session)) == 6


def test_the_exported_geojson_reimports_unchanged(session: Session) -> None:
    service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    for level in Level:
        exported = service.area_geojson(db_session=session, level=level)
        exported = json.loads(json.dumps(exported))  # as it travels over HTTP
        r = service.import_geojson(db_session=session, actor=None, feature_collection=exported)
        assert r.created == [] and r.updated == [] and r.levels[str(level)] > 0


def test_only_platform_admins_import(session: Session) -> None:
    officer = make_user(session, role=Role.officer)
    with pytest.raises(PermissionDenied):
        service.import_geojson(db_session=session, actor=officer, feature_collection=small_city())
    admin = make_user(session, role=Role.platform_admin)
    service.import_geojson(db_session=session, actor=admin, feature_collection=small_city())
    assert import_audits(session)[0].actor_name == admin.username


# --- bad input: a clear message naming the feature, and nothing written ---------------------


def _bowtie() -> dict[str, Any]:
    x, y = LON0, LAT0
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + STEP, y + STEP], [x + STEP, y], [x, y + STEP], [x, y]]],
    }


def _city_with(index: int, change: Any) -> dict[str, Any]:
    city = small_city()
    change(city["features"][index])
    return city


def _open_ring(f: dict[str, Any]) -> None:
    f["geometry"]["coordinates"][0].pop()


def _no_code(f: dict[str, Any]) -> None:
    del f["properties"]["code"]


def _unknown_parent(f: dict[str, Any]) -> None:
    f["properties"]["parent_code"] = "NOWHERE"


BAD_CASES = [
    pytest.param(
        lambda: _city_with(9, _open_ring),
        ["features[9]", "'D1-S2-G3'", "does not close", "repeat the first point"],
        id="grid-ring-not-closed",
    ),
    pytest.param(
        lambda: _city_with(4, lambda f: f.update(geometry=_bowtie())),
        ["features[4]", "'D1-S1-G3'", "invalid", "Self-intersection"],
        id="self-intersecting",
    ),
    pytest.param(
        lambda: _city_with(20, _unknown_parent),
        ["features[20]", "'D2-S2-G3'", "parent_code 'NOWHERE' is unknown"],
        id="unknown-parent",
    ),
    pytest.param(
        lambda: _city_with(3, lambda f: f["properties"].update(code=3.5)),
        ["features[3]", "code must be text or a whole number, not 3.5"],
        id="float-code",
    ),
    pytest.param(
        lambda: _city_with(3, _no_code),
        ["features[3]", "has no 'code' property"],
        id="no-code",
    ),
    pytest.param(
        lambda: _city_with(
            2, lambda f: f.update(geometry={"type": "Point", "coordinates": [1, 2]})
        ),
        ["features[2]", "'D1-S1-G1'", "Polygon or MultiPolygon"],
        id="point-geometry",
    ),
    pytest.param(
        lambda: _city_with(2, lambda f: f["geometry"]["coordinates"][0][1].__setitem__(0, "121.4")),
        ["features[2]", "not a number: '121.4'"],
        id="string-coordinate",
    ),
    pytest.param(
        lambda: _city_with(
            0, lambda f: f.update(geometry=feature("x", box(31, 121, 32, 122))["geometry"])
        ),
        ["features[0]", "'D1'", "latitude 121.0 outside", "swapped"],
        id="lat-lon-swapped",
    ),
    pytest.param(
        lambda: _city_with(1, lambda f: f.update(type="Feature!")),
        ["features[1]", '"type": "Feature"'],
        id="not-a-feature",
    ),
    pytest.param(
        lambda: _city_with(5, lambda f: f["properties"].update(code="D1")),
        ["features[5]", "'D1'", "code also used by features[0]"],
        id="duplicate-code",
    ),
    pytest.param(
        lambda: _city_with(1, lambda f: f["properties"].update(parent_code="D1-S1-G1")),
        ["features[1]", "'D1-S1'", "is a grid; a street's parent must be a district"],
        id="parent-wrong-level",
    ),
    pytest.param(
        lambda: _city_with(1, lambda f: f["properties"].pop("parent_code")),
        ["features[1]", "a street needs parent_code naming its district"],
        id="street-without-parent",
    ),
    pytest.param(
        lambda: _city_with(1, lambda f: f["properties"].update(level="county")),
        ["features[1]", "level 'county' is not one of district, street, grid"],
        id="unknown-level",
    ),
    pytest.param(
        lambda: _city_with(11, lambda f: f["properties"].update(parent_code="D1")),
        ["features[11]", "'D2'", "parent_code 'D1' is a district", "districts are the top level"],
        id="district-under-an-area",
    ),
    pytest.param(lambda: {"type": "Feature"}, ["FeatureCollection"], id="not-a-collection"),
    pytest.param(lambda: [1, 2], ["FeatureCollection"], id="a-list"),
    pytest.param(
        lambda: {"type": "FeatureCollection", "features": []}, ["no 'features'"], id="empty"
    ),
]


@pytest.mark.parametrize(("make", "expected"), BAD_CASES)
def test_bad_geojson_is_refused_and_nothing_is_written(
    session: Session, make: Any, expected: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as err:
        service.import_geojson(db_session=session, actor=None, feature_collection=make())
    message = err.value.message
    assert message.startswith("GeoJSON not imported (nothing was written)")
    for part in expected:
        assert part in message, message
    if "features[" in expected[0]:
        assert err.value.field == expected[0]
    session.rollback()
    assert area_count(session) == 0
    assert import_audits(session) == []


def test_every_problem_is_listed_at_once(session: Session) -> None:
    city = small_city()
    _open_ring(city["features"][7])
    _no_code(city["features"][12])
    city["features"][15]["geometry"] = _bowtie()
    with pytest.raises(ValidationFailed) as err:
        service.import_geojson(db_session=session, actor=None, feature_collection=city)
    msg = err.value.message
    assert "features[7]" in msg and "features[12]" in msg and "features[15]" in msg
    assert area_count(session) == 0


def test_a_bad_feature_in_a_reimport_leaves_stored_areas_untouched(session: Session) -> None:
    service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    session.commit()
    before = {a.code: (a.name, a.geometry) for a in service.list_areas(db_session=session)}
    city = small_city()
    for f in city["features"]:
        f["properties"]["name"] = "改名"
    _open_ring(city["features"][-1])
    with pytest.raises(ValidationFailed, match=r"features\[21\] \(code 'D2-S2-G4'\)"):
        service.import_geojson(db_session=session, actor=None, feature_collection=city)
    session.rollback()
    after = {a.code: (a.name, a.geometry) for a in service.list_areas(db_session=session)}
    assert after == before


def test_a_district_may_name_its_city(session: Session) -> None:
    """Chinese sources give districts the city's division code as parent; it is not an area."""
    city = small_city()
    for f in city["features"]:
        if f["properties"]["level"] == "district":
            f["properties"]["parent_code"] = "310100"
    r = service.import_geojson(db_session=session, actor=None, feature_collection=city)
    assert len(r.created) == 22
    assert service.get_area(db_session=session, code="D1").parent_code is None


def test_a_stored_area_cannot_change_level(session: Session) -> None:
    service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    as_street = collection(
        [feature("D2-S2-G4", box(LON0, LAT0, LON0 + 0.01, LAT0 + 0.01), "street", "D1")]
    )
    with pytest.raises(ValidationFailed, match="already stored as a grid"):
        service.import_geojson(db_session=session, actor=None, feature_collection=as_street)


def test_children_may_name_parents_stored_earlier(session: Session) -> None:
    service.import_geojson(
        db_session=session,
        actor=None,
        feature_collection=small_city_layer("district"),
        level="district",
    )
    r = service.import_geojson(
        db_session=session,
        actor=None,
        feature_collection=small_city_layer("street"),
        level="street",
    )
    assert len(r.created) == 4
    assert service.get_area(db_session=session, code="D2-S2").parent_code == "D2"


def test_multipolygons_with_holes_are_areas(session: Session) -> None:
    outer = box(LON0, LAT0, LON0 + 0.1, LAT0 + 0.1)
    hole = box(LON0 + 0.04, LAT0 + 0.04, LON0 + 0.06, LAT0 + 0.06)
    island = box(LON0 + 0.2, LAT0, LON0 + 0.21, LAT0 + 0.01)
    geom = outer.difference(hole).union(island)
    assert geom.geom_type == "MultiPolygon"
    fc = collection([feature("RING", geom, "district")])
    service.import_geojson(db_session=session, actor=None, feature_collection=copy.deepcopy(fc))
    loc = service.locate(db_session=session, lon=LON0 + 0.05, lat=LAT0 + 0.05)
    assert loc is None  # in the hole
    assert service.locate(db_session=session, lon=LON0 + 0.205, lat=LAT0 + 0.005) is not None
    assert service.locate(db_session=session, lon=LON0 + 0.01, lat=LAT0 + 0.01) is not None
