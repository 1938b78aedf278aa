"""The synthetic demo city: deterministic, valid identifiers, exact geography."""

from __future__ import annotations

import collections
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

import citybase
from citybase.demo.generate import (
    LEVELS,
    CityGeography,
    Level,
    generate_geography,
    generate_registries,
)
from citybase.identifiers import (
    is_known_area_code,
    is_valid_id_number,
    is_valid_mobile,
    is_valid_plate,
    is_valid_uscc,
    validate_id_number,
    validate_plate,
)

SEED = 7
TABLES = ("residents", "enterprises", "vehicles")


def _small(seed: int, geography: CityGeography, out: Path) -> dict[str, Path]:
    return generate_registries(seed, geography, out, residents=2000, enterprises=300, vehicles=500)


TINY = 1e-12  # square degrees: far below one square metre


@pytest.fixture(scope="module")
def geography() -> CityGeography:
    return generate_geography(SEED)


@pytest.fixture(scope="module")
def registry_dir(tmp_path_factory: pytest.TempPathFactory, geography: CityGeography) -> Path:
    out = tmp_path_factory.mktemp("registries")
    _small(SEED, geography, out)
    return out


@pytest.fixture(scope="module")
def tables(registry_dir: Path) -> dict[str, pa.Table]:
    return {name: pq.read_table(registry_dir / f"{name}.parquet") for name in TABLES}


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_outputs(tmp_path: Path, geography: CityGeography) -> None:
    again = generate_geography(SEED)
    assert json.dumps(again.grids, ensure_ascii=False) == json.dumps(
        geography.grids, ensure_ascii=False
    )
    assert again.grid_workers == geography.grid_workers
    for run in ("a", "b"):
        _small(SEED, again, tmp_path / run)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_outputs_do_not_depend_on_string_hash_randomisation(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from citybase.demo.generate import *; "
        "generate_registries(3, generate_geography(3), Path(sys.argv[1]), residents=500, "
        "enterprises=50, vehicles=80)"
    )
    digests = []
    for hash_seed in ("1", "2"):
        env = dict(
            os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=str(Path(citybase.__file__).parents[1])
        )
        out = tmp_path / hash_seed
        subprocess.run([sys.executable, "-c", script, str(out)], env=env, check=True)
        digests.append(
            {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}
        )
    assert digests[0] == digests[1]


def test_different_seed_gives_a_different_city(tmp_path: Path, registry_dir: Path) -> None:
    other = generate_geography(SEED + 1)
    assert json.dumps(other.grids) != json.dumps(generate_geography(SEED).grids)
    _small(SEED + 1, other, tmp_path)
    mine = _files(registry_dir)
    for name, data in _files(tmp_path).items():
        assert data != mine[name]


# --- geography -----------------------------------------------------------------------------


def test_levels_counts_and_codes(geography: CityGeography) -> None:
    districts = geography.properties("district")
    streets = geography.properties("street")
    grids = geography.properties("grid")
    assert len(districts) == 4 and len(grids) == geography.city.grids
    assert [d["code"] for d in districts] == list(geography.city.district_codes)
    assert all(is_known_area_code(d["code"]) for d in districts)
    per_district = collections.Counter(s["parent_code"] for s in streets)
    assert set(per_district) == {d["code"] for d in districts}
    assert all(4 <= c <= 6 for c in per_district.values())
    for child, parent_level in ((streets, districts), (grids, streets)):
        parents = {p["code"] for p in parent_level}
        for item in child:
            assert item["parent_code"] in parents
            assert item["code"][:-3] == item["parent_code"] and item["code"][-3:].isdigit()
    names = [p["name"] for p in streets + grids + districts]
    assert len(set(names)) == len(names)
    assert all(s["name"].endswith("街道") for s in streets)
    assert all("社区第" in g["name"] and g["name"].endswith("网格") for g in grids)
    assert {d["level"] for d in districts} == {"district"}


def test_polygons_are_valid_closed_and_counter_clockwise(geography: CityGeography) -> None:
    for level in LEVELS:
        for feature in geography.collection(level)["features"]:
            ring = feature["geometry"]["coordinates"][0]
            assert ring[0] == ring[-1]
            polygon = shapely.geometry.shape(feature["geometry"])
            assert polygon.is_valid and polygon.geom_type == "Polygon"
            assert polygon.exterior.is_ccw
    json.dumps(geography.districts)  # plain JSON, ready to serve


def test_levels_nest_exactly_and_tile_their_parent(geography: CityGeography) -> None:
    shapes = geography.shapes
    pairs: tuple[tuple[Level, Level], ...] = (("street", "district"), ("grid", "street"))
    for child_level, parent_level in pairs:
        children = collections.defaultdict(list)
        for item in geography.properties(child_level):
            child, parent = shapes[item["code"]], shapes[item["parent_code"]]
            assert parent.covers(child)
            children[item["parent_code"]].append(child)
        for parent in geography.properties(parent_level):
            union = shapely.union_all(children[parent["code"]])
            assert union.symmetric_difference(shapes[parent["code"]]).area < TINY


def test_no_overlaps_within_a_level(geography: CityGeography) -> None:
    for level in LEVELS:
        polygons = [geography.shapes[p["code"]] for p in geography.properties(level)]
        assert shapely.coverage_is_valid(shapely.GeometryCollection(polygons))
        tree = shapely.STRtree(polygons)
        left, right = tree.query(polygons, predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i < j:
                assert polygons[i].intersection(polygons[j]).area < TINY


def test_city_has_the_planned_size_and_centre(geography: CityGeography) -> None:
    city = shapely.union_all(
        [geography.shapes[p["code"]] for p in geography.properties("district")]
    )
    assert city.geom_type == "Polygon" and not city.interiors
    minx, miny, maxx, maxy = city.bounds
    assert 20 < (maxx - minx) * 94.4 < 40 and 15 < (maxy - miny) * 110.6 < 35
    assert city.contains(shapely.Point(118.78, 32.04))
    total_km2 = sum(p["area_km2"] for p in geography.properties("grid"))
    assert 350 < total_km2 < 800


def test_grid_workers(geography: CityGeography) -> None:
    per_grid = collections.Counter(w.grid_code for w in geography.grid_workers)
    assert set(per_grid) == {g["code"] for g in geography.properties("grid")}
    assert set(per_grid.values()) <= {1, 2}
    assert all(is_valid_mobile(w.mobile) and 2 <= len(w.name) <= 3 for w in geography.grid_workers)


# --- registries ----------------------------------------------------------------------------


def test_row_counts_and_progress(tmp_path: Path, geography: CityGeography) -> None:
    calls: list[tuple[str, int, int]] = []
    paths = generate_registries(
        SEED,
        geography,
        tmp_path,
        residents=300,
        enterprises=20,
        vehicles=40,
        progress=lambda step, done, total: calls.append((step, done, total)),
    )
    assert {k: pq.read_metadata(p).num_rows for k, p in paths.items()} == {
        "residents": 300,
        "enterprises": 20,
        "vehicles": 40,
    }
    for step, total in (("residents", 300), ("enterprises", 20), ("vehicles", 40)):
        mine = [c for c in calls if c[0] == step]
        assert mine[0][1] == 0 and mine[-1][1:] == (total, total)
        assert [d for _, d, _ in mine] == sorted(d for _, d, _ in mine)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "enterprises.parquet",
        "residents.parquet",
        "vehicles.parquet",  # no temp files left
    ]


def test_resident_identifiers_are_valid_unique_and_consistent(tables: dict[str, pa.Table]) -> None:
    people = tables["residents"].to_pylist()
    ids = [p["id_number"] for p in people]
    assert len(set(ids)) == len(ids) and all(is_valid_id_number(i) for i in ids)
    for p in people:
        info = validate_id_number(p["id_number"])
        assert info.birth_date == p["birth_date"] and info.sex == p["sex"]
        assert 2 <= len(p["name"]) <= 3
    mobiles = [p["mobile"] for p in people if p["mobile"] is not None]
    assert len(mobiles) > 0.8 * len(people) and len(set(mobiles)) == len(mobiles)
    assert all(is_valid_mobile(m) for m in mobiles)
    local = np.mean([i.startswith("3201") for i in ids])
    assert 0.62 < local < 0.78  # ~70 % registered in the city's own districts
    assert len({i[:6] for i in ids if not i.startswith("3201")}) > 100  # from all over China


def test_enterprise_and_vehicle_identifiers(tables: dict[str, pa.Table]) -> None:
    ids = set(tables["residents"].column("id_number").to_pylist())
    orgs = tables["enterprises"].to_pylist()
    codes = [o["uscc"] for o in orgs]
    assert len(set(codes)) == len(codes) and all(is_valid_uscc(c) for c in codes)
    assert collections.Counter(c[0] for c in codes).most_common(1)[0][0] == "9"
    assert len({o["name"] for o in orgs}) == len(orgs)
    assert all(o["legal_rep_id_number"] in ids for o in orgs)
    vehicles = tables["vehicles"].to_pylist()
    plates = [v["plate"] for v in vehicles]
    assert len(set(plates)) == len(plates) and all(is_valid_plate(p) for p in plates)
    for v in vehicles:
        assert (v["owner_id_number"] is None) != (v["owner_uscc"] is None)
        assert v["owner_id_number"] in ids or v["owner_uscc"] in set(codes)
        info = validate_plate(v["plate"])
        electric = v["energy_type"] == "纯电动"
        assert info.new_energy == (
            v["energy_type"] in {"纯电动", "插电式混合动力", "增程式", "燃料电池"}
        )
        assert not info.new_energy or (info.energy == "pure_electric") == electric
    new_energy = np.mean([len(p) == 8 for p in plates])
    assert 0.15 < new_energy < 0.35
    assert np.mean([p.startswith("苏A") for p in plates]) > 0.75


@pytest.mark.parametrize("name", ["residents", "enterprises"])
def test_points_lie_in_their_grid(
    name: str, tables: dict[str, pa.Table], geography: CityGeography
) -> None:
    rows = tables[name].select(["grid_code", "street_code", "district_code", "lon", "lat"])
    streets = {p["code"]: p["parent_code"] for p in geography.properties("street")}
    grids = {p["code"]: p["parent_code"] for p in geography.properties("grid")}
    by_grid: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    for r in rows.to_pylist():
        assert grids[r["grid_code"]] == r["street_code"]
        assert streets[r["street_code"]] == r["district_code"]
        by_grid[r["grid_code"]].append((r["lon"], r["lat"]))
    for code, points in by_grid.items():
        xy = np.array(points)
        assert shapely.contains_xy(geography.shapes[code], xy[:, 0], xy[:, 1]).all()


def test_addresses_name_their_division_and_a_road_of_the_grid(
    tables: dict[str, pa.Table], geography: CityGeography
) -> None:
    roads = {p["code"]: p["roads"] for p in geography.properties("grid")}
    for name in ("residents", "enterprises"):
        for r in (
            tables[name]
            .select(["address", "district_code", "street_code", "grid_code"])
            .to_pylist()
        ):
            prefix = (
                geography.city.name
                + geography.names[r["district_code"]]
                + geography.names[r["street_code"]]
            )
            assert r["address"].startswith(prefix)
            assert any(
                r["address"][len(prefix) :].startswith(road) for road in roads[r["grid_code"]]
            )


def test_households_share_address_and_point(tables: dict[str, pa.Table]) -> None:
    people = tables["residents"].select(["household_id", "address", "lon", "lat"]).to_pylist()
    homes: dict[int, tuple[str, float, float]] = {}
    for p in people:
        home = (p["address"], p["lon"], p["lat"])
        assert homes.setdefault(p["household_id"], home) == home


@pytest.mark.slow
def test_default_sizes_are_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    paths = generate_registries(SEED, generate_geography(SEED), tmp_path)
    elapsed = time.perf_counter() - started
    assert {k: pq.read_metadata(p).num_rows for k, p in paths.items()} == {
        "residents": 100_000,
        "enterprises": 10_000,
        "vehicles": 20_000,
    }
    assert elapsed < 60, f"default-size demo city took {elapsed:.1f} s"


def test_a_city_without_vehicles_still_generates(tmp_path: Path) -> None:
    geography = generate_geography(3)
    paths = generate_registries(3, geography, tmp_path, residents=300, enterprises=30, vehicles=0)
    assert pq.read_table(paths["vehicles"]).num_rows == 0
    assert pq.read_table(paths["residents"]).num_rows == 300
