"""locate(lon, lat): the STRtree answer equals a brute-force scan, and never goes stale."""

from __future__ import annotations

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from citybase.errors import ValidationFailed
from citybase.geo import service
from citybase.geo.enums import LEVELS, Level
from citybase.geo.models import Area
from tests.geo.cities import (
    LAT0,
    LON0,
    STEP,
    collection,
    feature,
    montreal_city,
    montreal_points,
    small_city,
)


def brute_force(session: Session, lon: float, lat: float) -> dict[str, str | None]:
    """Test every stored polygon; finest level wins (lowest code on a tie), ancestors by parent."""
    areas = list(session.query(Area))
    point = shapely.Point(lon, lat)
    hits = [a for a in areas if shapely.from_geojson(a.geometry).intersects(point)]
    out: dict[str, str | None] = {str(lvl): None for lvl in LEVELS}
    if not hits:
        return out
    best = min(hits, key=lambda a: (-Level(a.level).depth, a.code))
    current: Area | None = best
    while current is not None:
        out[current.level] = current.code
        current = current.parent
    return out


def as_codes(loc: service.Location | None) -> dict[str, str | None]:
    if loc is None:
        return {str(lvl): None for lvl in LEVELS}
    return {
        "district": loc.district.code if loc.district else None,
        "street": loc.street.code if loc.street else None,
        "grid": loc.grid.code if loc.grid else None,
    }


def test_locate_names_district_street_and_grid(session: Session) -> None:
    service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    # Right half of D2's first street, upper row: grid G4.
    loc = service.locate(db_session=session, lon=LON0 + 2.75 * STEP, lat=LAT0 + 1.5 * STEP)
    assert loc is not None
    assert as_codes(loc) == {"district": "D2", "street": "D2-S1", "grid": "D2-S1-G4"}
    assert loc.grid is not None and loc.grid.name == "D2-S1-G4 名称"
    assert service.locate(db_session=session, lon=LON0 - 0.001, lat=LAT0 + 0.01) is None
    assert service.locate(db_session=session, lon=0.0, lat=0.0) is None


def test_locate_without_grids_returns_the_coarser_levels(session: Session) -> None:
    fc = collection([feature("ONLY", box(LON0, LAT0, LON0 + 0.1, LAT0 + 0.1), "district")])
    service.import_geojson(db_session=session, actor=None, feature_collection=fc)
    loc = service.locate(db_session=session, lon=LON0 + 0.05, lat=LAT0 + 0.05)
    assert as_codes(loc) == {"district": "ONLY", "street": None, "grid": None}


@pytest.mark.parametrize(("lon", "lat", "field"), [(181, 0, "lon"), (0, -91, "lat")])
def test_out_of_range_coordinates_are_refused(
    session: Session, lon: float, lat: float, field: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        service.locate(db_session=session, lon=lon, lat=lat)
    assert err.value.field == field


def test_random_points_match_a_brute_force_scan(session: Session) -> None:
    service.import_geojson(db_session=session, actor=None, feature_collection=small_city())

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        lon=st.floats(LON0 - 0.01, LON0 + 4 * STEP + 0.01),
        lat=st.floats(LAT0 - 0.01, LAT0 + 2 * STEP + 0.01),
    )
    def check(lon: float, lat: float) -> None:
        assert as_codes(service.locate(db_session=session, lon=lon, lat=lat)) == brute_force(
            session, lon, lat
        )

    check()


def test_montreal_real_polygons_match_a_brute_force_scan(session: Session) -> None:
    city = montreal_city()
    for level in ("district", "street", "grid"):
        service.import_geojson(
            db_session=session, actor=None, feature_collection=city[level], level=level
        )
    assert len(service.list_areas(db_session=session, level="street")) == 58

    # 249 real car-share locations: all but one lie in an electoral district; that one is in
    # Dorval, an independent city on the island (about 1 km outside Montreal's boundary).
    points = montreal_points()
    located = service.locate_many(db_session=session, points=points)
    outside = [p for p, loc in zip(points, located, strict=True) if loc is None]
    assert outside == [pytest.approx((-73.7389, 45.4540), abs=1e-4)]
    assert all(loc.street is not None for loc in located if loc is not None)
    for (lon, lat), loc in zip(points, located, strict=True):
        assert as_codes(loc) == brute_force(session, lon, lat)
        assert as_codes(service.locate(db_session=session, lon=lon, lat=lat)) == as_codes(loc)
    # A known point: McGill's Roddick Gates on Sherbrooke St are in Peter-McGill (181), Ville-Marie.
    gates = service.locate(db_session=session, lon=-73.5771, lat=45.5048)
    assert gates is not None and gates.street is not None and gates.district is not None
    assert (gates.street.code, gates.district.code) == ("MTL-181", "MTL-B18")

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(lon=st.floats(-73.98, -73.47), lat=st.floats(45.40, 45.71))
    def check(lon: float, lat: float) -> None:
        assert as_codes(service.locate(db_session=session, lon=lon, lat=lat)) == brute_force(
            session, lon, lat
        )

    check()


def test_an_import_invalidates_the_index_for_every_app_instance(
    session: Session, connection: Connection
) -> None:
    """Two sessions (as two app instances would have) never see a stale index."""
    service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    session.commit()
    other = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")()
    point = {"lon": LON0 + 0.002, "lat": LAT0 + 0.005}
    loc = service.locate(db_session=other, **point)
    assert loc is not None and loc.grid is not None and loc.grid.code == "D1-S1-G1"

    # Move grid G1 of D1-S1 away, and add a new grid where it was.
    moved = collection(
        [
            feature(
                "D1-S1-G1",
                box(LON0 + 0.005, LAT0 + 0.02, LON0 + 0.01, LAT0 + 0.04),
                "grid",
                "D1-S1",
                name="搬走的网格",
            ),
            feature(
                "D1-S1-G9",
                box(LON0, LAT0, LON0 + 0.005, LAT0 + 0.01),
                "grid",
                "D1-S1",
                name="新网格",
            ),
        ]
    )
    service.import_geojson(db_session=session, actor=None, feature_collection=moved)
    session.commit()
    loc = service.locate(db_session=other, **point)
    assert loc is not None and loc.grid is not None
    assert (loc.grid.code, loc.grid.name) == ("D1-S1-G9", "新网格")
    other.close()
