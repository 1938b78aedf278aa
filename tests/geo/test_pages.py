"""The /geo map page (server-side SVG) and the area pages, as a browser receives them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.geo import service
from citybase.identity.enums import Role
from tests.factories import auth_headers, make_user
from tests.geo.cities import LAT0, LON0, STEP, montreal_city, small_city

SVG_NS = "{http://www.w3.org/2000/svg}"
HTML = {"accept": "text/html"}


@pytest.fixture
def headers(session: Session) -> dict[str, str]:
    return {**HTML, **auth_headers(session, make_user(session, role=Role.officer))}


def svg_of(html: str) -> ET.Element:
    m = re.search(r"<svg .*?</svg>", html, flags=re.S)
    assert m, "no SVG on the page"
    return ET.fromstring(m.group(0))  # well-formed XML, or this raises


def paths(svg: ET.Element, cls: str) -> list[ET.Element]:
    return [p for p in svg.iter(f"{SVG_NS}path") if p.get("class") == cls]


def test_the_map_draws_one_path_per_grid(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    session.commit()
    r = client.get("/geo", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    svg = svg_of(r.text)
    grids = paths(svg, "grid")
    assert len(grids) == 16
    assert {g.get("data-code") for g in grids} == {
        f"D{d}-S{s}-G{g}" for d in (1, 2) for s in (1, 2) for g in (1, 2, 3, 4)
    }
    # Each grid: a title with its name and code, inside a link to its page.
    links = {a.get("href"): a for a in svg.iter(f"{SVG_NS}a")}
    for g in grids:
        code = g.get("data-code")
        title = g.find(f"{SVG_NS}title")
        assert title is not None and title.text == f"{code} 名称 ({code})"
        assert f"/geo/areas/{code}" in links
    # Districts in distinct colours; grids take their district's colour.
    districts = {p.get("data-code"): p.get("fill") for p in paths(svg, "district")}
    assert len(set(districts.values())) == 2
    for g in grids:
        assert g.get("fill") == districts[g.get("data-code", "")[:2]]
    # Street outlines thicker than grid edges.
    streets = paths(svg, "street")
    assert len(streets) == 4
    assert float(streets[0].get("stroke-width", 0)) > float(grids[0].get("stroke-width", 0))
    # Equirectangular with cos(lat): a 0.01° × 0.02° grid at 31.2°N is ≈ 0.43 as wide as tall.
    xs, ys = zip(
        *(map(float, p.split(",")) for p in re.findall(r"[\d.]+,[\d.]+", grids[0].get("d", ""))),
        strict=True,
    )
    ratio = (max(xs) - min(xs)) / (max(ys) - min(ys))
    assert ratio == pytest.approx(0.5 * 0.8554, rel=0.02)
    assert "城市网格" in r.text  # zh-CN by default


def test_the_locate_form_highlights_the_grid_found(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    session.commit()
    lon, lat = LON0 + 3.25 * STEP, LAT0 + 0.5 * STEP
    r = client.get("/geo", params={"lon": lon, "lat": lat}, headers=headers)
    assert r.status_code == 200
    hit = paths(svg_of(r.text), "hit")
    assert [h.get("data-code") for h in hit] == ["D2-S2-G1"]
    assert 'data-testid="located"' in r.text and "/geo/areas/D2-S2-G1" in r.text
    assert len(paths(svg_of(r.text), "grid")) == 16

    outside = client.get("/geo", params={"lon": 10, "lat": 10, "lang": "en"}, headers=headers)
    assert outside.status_code == 200
    assert "outside every area of the city" in outside.text
    assert paths(svg_of(outside.text), "hit") == []

    bad = client.get("/geo", params={"lon": 500, "lat": 10}, headers=headers)
    assert bad.status_code == 422 and "lon" in bad.text


def test_the_area_page_shows_parents_and_grid_workers(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    service.import_geojson(db_session=session, actor=None, feature_collection=small_city())
    service.assign_grid_worker(
        db_session=session, actor=None, grid_code="D1-S2-G4", name="赵敏", mobile="13700001111"
    )
    session.commit()
    r = client.get("/geo/areas/D1-S2-G4", headers=headers)
    assert r.status_code == 200
    assert "/geo/areas/D1" in r.text and "/geo/areas/D1-S2" in r.text
    assert "赵敏" in r.text and "137****1111" in r.text and "13700001111" not in r.text
    # The grid among its street's grids, outlined.
    svg = svg_of(r.text)
    assert sorted(p.get("data-code", "") for p in paths(svg, "grid")) == [
        f"D1-S2-G{i}" for i in (1, 2, 3, 4)
    ]
    assert [p.get("data-code") for p in paths(svg, "focus")] == ["D1-S2-G4"]

    street = client.get("/geo/areas/D1-S2", headers=headers)
    assert len(paths(svg_of(street.text), "grid")) == 8  # all of district D1
    assert [p.get("data-code") for p in paths(svg_of(street.text), "focus")] == ["D1-S2"]
    district = client.get("/geo/areas/D2", headers=headers)
    assert len(paths(svg_of(district.text), "grid")) == 8
    assert paths(svg_of(district.text), "focus") == []
    assert 'data-testid="workers"' not in street.text
    missing = client.get("/geo/areas/NOPE", headers=headers)
    assert missing.status_code == 404 and "No area with code" in missing.text


def test_an_empty_city_says_how_to_import(client: TestClient, headers: dict[str, str]) -> None:
    r = client.get("/geo", headers=headers)
    assert r.status_code == 200 and 'data-testid="geo-empty"' in r.text
    assert "citybase geo import" in r.text


def test_signed_out_browsers_are_sent_to_login(client: TestClient) -> None:
    r = client.get("/geo", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_montreal_map_renders_real_polygons(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    city = montreal_city()
    for level in ("district", "street", "grid"):
        service.import_geojson(
            db_session=session, actor=None, feature_collection=city[level], level=level
        )
    session.commit()
    r = client.get("/geo", params={"lon": -73.5771, "lat": 45.5048}, headers=headers)
    svg = svg_of(r.text)
    assert len(paths(svg, "grid")) == len(city["grid"]["features"])
    assert len(paths(svg, "district")) == 19
    (hit,) = paths(svg, "hit")
    assert hit.get("data-code", "").startswith("MTL-181-G")
    assert len(r.content) < 1_500_000  # simplified to the pixel: a page, not a dataset


def test_the_home_page_lists_city_grids(client: TestClient, headers: dict[str, str]) -> None:
    r = client.get("/", headers=headers)
    assert 'data-module="geo"' in r.text and "城市网格" in r.text
