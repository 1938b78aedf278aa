"""The geo HTTP API as a client uses it: real requests through the ASGI app."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.audit.models import AuditRecord
from citybase.geo import service
from citybase.geo.models import Area, GridWorker
from citybase.identity.enums import Role
from tests.factories import auth_headers, make_user
from tests.geo.cities import LAT0, LON0, STEP, small_city


@pytest.fixture
def admin_headers(session: Session) -> dict[str, str]:
    return auth_headers(session, make_user(session, role=Role.platform_admin))


@pytest.fixture
def city(client: TestClient, admin_headers: dict[str, str]) -> None:
    r = client.post("/api/geo/import", json=small_city(), headers=admin_headers)
    assert r.status_code == 200, r.text


def test_unauthenticated_calls_are_refused(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/geo/areas"),
        ("GET", "/api/geo/areas/D1"),
        ("GET", "/api/geo/grid.geojson"),
        ("GET", "/api/geo/locate?lon=121.41&lat=31.21"),
        ("POST", "/api/geo/import"),
        ("GET", "/api/geo/grids/D1-S1-G1/workers"),
        ("POST", "/api/geo/grids/D1-S1-G1/workers"),
    ]:
        r = client.request(method, path, json={} if method == "POST" else None)
        assert r.status_code == 401, (method, path)
        assert r.json()["error"]["code"] == "authentication_required"


def test_non_admins_may_not_import_or_assign(client: TestClient, session: Session) -> None:
    officer = auth_headers(session, make_user(session, role=Role.officer))
    r = client.post("/api/geo/import", json=small_city(), headers=officer)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert "platform_admin" in r.json()["error"]["message"]
    assert session.scalar(select(func.count(Area.id))) == 0
    r = client.post(
        "/api/geo/grids/D1-S1-G1/workers",
        json={"name": "张伟", "mobile": "13800138000"},
        headers=officer,
    )
    assert r.status_code == 403


def test_import_and_read_areas(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    r = client.post("/api/geo/import", json=small_city(), headers=admin_headers)
    assert r.status_code == 200
    body = r.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (22, 0, 0)
    assert body["levels"] == {"district": 2, "street": 4, "grid": 16}
    again = client.post("/api/geo/import", json=small_city(), headers=admin_headers).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 22)

    reader = auth_headers(session, make_user(session, role=Role.analyst))
    streets = client.get("/api/geo/areas", params={"parent": "D2"}, headers=reader).json()
    assert [s["code"] for s in streets] == ["D2-S1", "D2-S2"]
    assert all(s["level"] == "street" and s["parent_code"] == "D2" for s in streets)
    grids = client.get("/api/geo/areas", params={"level": "grid"}, headers=reader).json()
    assert len(grids) == 16

    detail = client.get("/api/geo/areas/D2-S1-G3", headers=reader).json()
    assert [p["code"] for p in detail["parents"]] == ["D2", "D2-S1"]
    assert detail["geometry"]["type"] == "Polygon" and detail["children"] == []
    assert detail["bbox"] == pytest.approx(
        [LON0 + 2 * STEP, LAT0 + STEP, LON0 + 2.5 * STEP, LAT0 + 2 * STEP]
    )
    d1 = client.get("/api/geo/areas/D1", headers=reader).json()
    assert [c["code"] for c in d1["children"]] == ["D1-S1", "D1-S2"]

    missing = client.get("/api/geo/areas/NOPE", headers=reader)
    assert missing.status_code == 404
    assert "No area with code 'NOPE'" in missing.json()["error"]["message"]
    bad_level = client.get("/api/geo/areas", params={"level": "county"}, headers=reader)
    assert bad_level.status_code == 422 and bad_level.json()["error"]["field"] == "level"


def test_geojson_export_per_level(
    client: TestClient, session: Session, admin_headers: dict[str, str], city: None
) -> None:
    r = client.get("/api/geo/street.geojson", headers=admin_headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 4
    props = fc["features"][0]["properties"]
    assert set(props) >= {"code", "name", "level", "parent_code"}
    # What comes out goes back in unchanged.
    back = client.post("/api/geo/import", json=fc, headers=admin_headers).json()
    assert (back["created"], back["updated"], back["unchanged"]) == (0, 0, 4)
    assert client.get("/api/geo/county.geojson", headers=admin_headers).status_code == 422


def test_locate_over_http(client: TestClient, session: Session, city: None) -> None:
    headers = auth_headers(session, make_user(session, role=Role.officer))
    r = client.get(
        "/api/geo/locate",
        params={"lon": LON0 + 0.5 * STEP, "lat": LAT0 + 1.5 * STEP},
        headers=headers,
    )
    assert r.status_code == 200
    body = r.json()
    assert body["district"]["code"] == "D1" and body["street"]["code"] == "D1-S1"
    assert body["grid"] == {"code": "D1-S1-G3", "name": "D1-S1-G3 名称", "level": "grid"}

    outside = client.get("/api/geo/locate", params={"lon": 0, "lat": 0}, headers=headers)
    assert outside.status_code == 404
    err = outside.json()["error"]
    assert err["code"] == "outside_city" and "outside every district" in err["message"]

    for params, field in [({"lon": 200, "lat": 31}, "lon"), ({"lon": 121, "lat": -95}, "lat")]:
        r = client.get("/api/geo/locate", params=params, headers=headers)
        assert r.status_code == 422
        assert r.json()["error"]["field"] == field
        assert r.json()["error"]["code"] == "validation_error"
    r = client.get("/api/geo/locate", params={"lon": "east", "lat": 31}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "lon"


def test_bad_geojson_over_http_names_the_feature(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    city = small_city()
    city["features"][9]["geometry"]["coordinates"][0].pop()
    r = client.post("/api/geo/import", json=city, headers=admin_headers)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "features[9]"
    assert "features[9] (code 'D1-S2-G3')" in err["message"] and "does not close" in err["message"]
    assert session.scalar(select(func.count(Area.id))) == 0

    not_json = client.post(
        "/api/geo/import",
        content=b"{not json",
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert not_json.status_code == 422
    wrong = client.post("/api/geo/import", json=[1, 2], headers=admin_headers)
    assert wrong.status_code == 422
    level = client.post(
        "/api/geo/import", params={"level": "county"}, json=small_city(), headers=admin_headers
    )
    assert level.status_code == 422 and level.json()["error"]["field"] == "level"


def test_grid_workers_assignment_and_privacy(
    client: TestClient, session: Session, admin_headers: dict[str, str], city: None
) -> None:
    linked = make_user(session, role=Role.officer, username="wangfang")
    r = client.post(
        "/api/geo/grids/D1-S1-G1/workers",
        json={"name": "王芳", "mobile": "139 1234 5678", "username": "wangfang"},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["mobile"] == "13912345678" and r.json()["username"] == "wangfang"
    # The same mobile on the same grid updates the worker instead of adding a second one.
    r = client.post(
        "/api/geo/grids/D1-S1-G1/workers",
        json={"name": "王芳芳", "mobile": "13912345678"},
        headers=admin_headers,
    )
    assert r.status_code == 201 and r.json()["username"] is None
    client.post(
        "/api/geo/grids/D1-S1-G1/workers",
        json={"name": "李强", "mobile": "13800138000"},
        headers=admin_headers,
    )
    assert session.scalar(select(func.count(GridWorker.id))) == 2
    assert linked.id  # the account still exists; only the link was removed

    dispatcher = auth_headers(session, make_user(session, role=Role.dispatcher))
    full = client.get("/api/geo/grids/D1-S1-G1/workers", headers=dispatcher).json()
    assert [(w["name"], w["mobile"]) for w in full] == [
        ("王芳芳", "13912345678"),
        ("李强", "13800138000"),
    ]
    officer_user = make_user(session, role=Role.officer)
    officer = auth_headers(session, officer_user)
    masked = client.get(
        "/api/geo/grids/D1-S1-G1/workers", params={"purpose": "事件核查"}, headers=officer
    ).json()
    assert [w["mobile"] for w in masked] == ["139****5678", "138****8000"]

    reads = list(
        session.scalars(
            select(AuditRecord).where(
                AuditRecord.action == "geo.grid_worker.read", AuditRecord.object_id == "D1-S1-G1"
            )
        )
    )
    assert len(reads) == 2
    assert reads[-1].actor_name == officer_user.username and reads[-1].purpose == "事件核查"
    assigns = session.scalars(
        select(AuditRecord.action).where(AuditRecord.object_type == "geo_grid_worker")
    ).all()
    assert sorted(assigns) == [
        "geo.grid_worker.assign",
        "geo.grid_worker.assign",
        "geo.grid_worker.update",
    ]
    # No full mobile number is kept in the audit log.
    details = session.scalars(
        select(AuditRecord.detail).where(AuditRecord.object_type == "geo_grid_worker")
    ).all()
    assert not any("13912345678" in d for d in details)
    assert json.loads(details[0])["grid"] == "D1-S1-G1"

    applicant = auth_headers(session, make_user(session, role=Role.applicant))
    assert client.get("/api/geo/grids/D1-S1-G1/workers", headers=applicant).status_code == 403


@pytest.mark.parametrize(
    ("path", "payload", "status", "field"),
    [
        ("D1-S1", {"name": "张伟", "mobile": "13800138000"}, 422, "grid_code"),
        ("NOPE", {"name": "张伟", "mobile": "13800138000"}, 404, "code"),
        ("D1-S1-G1", {"name": "张伟", "mobile": "12345"}, 422, "mobile"),
        (
            "D1-S1-G1",
            {"name": "张伟", "mobile": "13800138000", "username": "ghost"},
            404,
            "username",
        ),
        ("D1-S1-G1", {"name": "", "mobile": "13800138000"}, 422, "name"),
    ],
)
def test_bad_assignments_are_refused(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    city: None,
    path: str,
    payload: dict[str, str],
    status: int,
    field: str,
) -> None:
    r = client.post(f"/api/geo/grids/{path}/workers", json=payload, headers=admin_headers)
    assert r.status_code == status, r.text
    assert r.json()["error"]["field"] == field
    assert session.scalar(select(func.count(GridWorker.id))) == 0


def test_service_door_for_other_domains(session: Session, city: None) -> None:
    """Other domains geocode many points at once (events, sensors) through locate_many."""
    pts = [(LON0 + 0.001, LAT0 + 0.001), (0.0, 0.0), (LON0 + 3.9 * STEP, LAT0 + 0.1 * STEP)]
    found = service.locate_many(db_session=session, points=pts)
    assert [f.finest.code if f else None for f in found] == ["D1-S1-G1", None, "D2-S2-G2"]
