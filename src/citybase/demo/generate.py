"""The deterministic synthetic demo city 示范市: geography and base registries.

Pure functions of a seed, no database: every domain's demo step (map layers, data hub
datasets, event generation, services) builds on the same city, and a seed always gives
byte-identical files, so demos, tests and benchmarks are reproducible.

* ``generate_geography(seed)``: 4 districts → 4-6 streets each → ~300 grids as GeoJSON,
  nesting exactly, plus the grid workers (网格员).
* ``generate_registries(seed, geography, out_dir)``: residents, enterprises and vehicles as
  Parquet files, every identifier valid, every point inside its grid.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from shapely.geometry import Polygon, shape

from citybase.demo import generate_geometry as geom
from citybase.demo.generate_data import CityConfig, load_city, load_yaml, unique_strings, weights
from citybase.errors import ConfigurationError, ValidationFailed
from citybase.identifiers import generate_mobile_array

Level = Literal["district", "street", "grid"]
LEVELS: tuple[Level, ...] = ("district", "street", "grid")
Progress = Callable[[str, int, int], None]
FeatureCollection = dict[str, Any]

# Independent random streams, so changing how one part is drawn leaves the others alone.
STREAM_GEOGRAPHY, STREAM_NAMES, STREAM_WORKERS = 1, 2, 3


def stream(seed: int, part: int) -> np.random.Generator:
    """The random generator of one part of the city for a seed."""
    return np.random.default_rng(np.random.SeedSequence([seed, part]))


@dataclass(frozen=True, slots=True)
class GridWorker:
    """A grid worker (网格员): the person the operations centre dispatches to a grid."""

    grid_code: str
    name: str
    mobile: str


@dataclass(frozen=True)
class CityGeography:
    """Three levels of divisions as GeoJSON FeatureCollections, plus the grid workers."""

    seed: int
    city: CityConfig
    districts: FeatureCollection
    streets: FeatureCollection
    grids: FeatureCollection
    grid_workers: tuple[GridWorker, ...]

    def collection(self, level: Level) -> FeatureCollection:
        return {"district": self.districts, "street": self.streets, "grid": self.grids}[level]

    def properties(self, level: Level) -> list[dict[str, Any]]:
        return [f["properties"] for f in self.collection(level)["features"]]

    @cached_property
    def shapes(self) -> dict[str, Polygon]:
        """Every division's polygon by code, rebuilt from the GeoJSON consumers receive."""
        return {
            f["properties"]["code"]: shape(f["geometry"])
            for level in LEVELS
            for f in self.collection(level)["features"]
        }

    @cached_property
    def names(self) -> dict[str, str]:
        """Division name by code, for building addresses."""
        return {p["code"]: p["name"] for level in LEVELS for p in self.properties(level)}


def generate_geography(seed: int) -> CityGeography:
    """Build the demo city's divisions for ``seed`` (same seed, same city, to the byte)."""
    city = load_city()
    rng = stream(seed, STREAM_GEOGRAPHY)
    frame = geom.LocalFrame(city.centre_lon, city.centre_lat)
    outline = geom.city_outline_km(rng, city.width_km, city.height_km)
    seeds = geom.seed_points(rng, outline, city.grids)
    grids = geom.grid_coverage(seeds, outline, frame)
    neighbours = geom.adjacency(grids)
    everyone = list(range(len(grids)))

    district_of = _nearest_district(rng, seeds, city)
    geom.make_contiguous(district_of, everyone, neighbours)
    street_of = np.zeros(len(grids), dtype=np.int64)
    lo, hi = city.streets_per_district
    for d in range(len(city.district_codes)):
        members = np.flatnonzero(district_of == d)
        labels = geom.kmeans_labels(rng, seeds[members], int(rng.integers(lo, hi + 1)))
        street_of[members] = d * 100 + labels
        geom.make_contiguous(street_of, members.tolist(), neighbours)

    names = stream(seed, STREAM_NAMES)
    features = _build_features(names, city, frame, grids, seeds, district_of, street_of)
    workers = _grid_workers(stream(seed, STREAM_WORKERS), features["grid"])
    return CityGeography(
        seed=seed,
        city=city,
        districts=_collection(features["district"]),
        streets=_collection(features["street"]),
        grids=_collection(features["grid"]),
        grid_workers=workers,
    )


def _nearest_district(
    rng: np.random.Generator, seeds: geom.FloatArray, city: CityConfig
) -> npt.NDArray[np.int64]:
    """Districts as four sectors around the centre: a grid joins the nearest district seed."""
    n = len(city.district_codes)
    start = rng.uniform(0, 2 * math.pi)
    angles = start + np.arange(n) * 2 * math.pi / n + rng.uniform(-0.25, 0.25, size=n)
    centres = np.column_stack(
        [0.25 * city.width_km * np.cos(angles), 0.25 * city.height_km * np.sin(angles)]
    )
    dist = ((seeds[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return np.asarray(dist.argmin(axis=1), dtype=np.int64)


def _ring_coords(ring: Any) -> list[list[float]]:
    return [[round(float(x), 6), round(float(y), 6)] for x, y in shapely.get_coordinates(ring)]


def _geojson_polygon(polygon: Polygon) -> dict[str, Any]:
    """RFC 7946 polygon: counter-clockwise exterior, coordinates on the 1e-6° grid."""
    oriented = shapely.geometry.polygon.orient(polygon, sign=1.0)
    rings = [oriented.exterior, *oriented.interiors]
    return {"type": "Polygon", "coordinates": [_ring_coords(r) for r in rings]}


def _feature(polygon: Polygon, frame: geom.LocalFrame, **properties: Any) -> dict[str, Any]:
    km = shapely.transform(polygon, frame.to_km)
    properties["area_km2"] = round(float(km.area), 3)
    return {"type": "Feature", "properties": properties, "geometry": _geojson_polygon(polygon)}


def _collection(features: list[dict[str, Any]]) -> FeatureCollection:
    return {"type": "FeatureCollection", "features": features}


def _direction(x: float, y: float) -> str:
    angle = math.degrees(math.atan2(y, x)) % 360
    return ["east", "north", "west", "south"][int(((angle + 45) % 360) // 90)]


class _NamePool:
    """Street, community and road names drawn without repetition from place_names.yaml."""

    def __init__(self, rng: np.random.Generator) -> None:
        places = load_yaml("place_names.yaml")
        streets = unique_strings(places["streets"], "place_names", "streets")
        communities = unique_strings(places["communities"], "place_names", "communities")
        self._pools = {
            "streets": iter(rng.permutation(streets).tolist()),
            "communities": iter(rng.permutation(communities).tolist()),
            "roads": iter(_road_names(rng, places)),
        }

    def take(self, key: str) -> str:
        try:
            return str(next(self._pools[key]))
        except StopIteration:
            raise ConfigurationError(
                f"demo data place_names.yaml: not enough distinct {key} for this city; "
                "add more names or lower the number of grids",
                field=key,
            ) from None


def _build_features(
    rng: np.random.Generator,
    city: CityConfig,
    frame: geom.LocalFrame,
    grids: list[Polygon],
    seeds: geom.FloatArray,
    district_of: npt.NDArray[np.int64],
    street_of: npt.NDArray[np.int64],
) -> dict[str, list[dict[str, Any]]]:
    """Order, code and name every division, and give each grid its roads and community."""
    pool = _NamePool(rng)
    neighbours = geom.adjacency(grids)
    out: dict[str, list[dict[str, Any]]] = {"district": [], "street": [], "grid": []}
    district_ids = sorted(set(district_of.tolist()))
    centroids = {d: seeds[district_of == d].mean(axis=0) for d in district_ids}
    # Codes run anticlockwise from the east, so the layout reads the same for every seed.
    district_ids.sort(key=lambda d: math.atan2(centroids[d][1], centroids[d][0]) % (2 * math.pi))
    spare = iter(city.district_names["any"])
    used_sides: set[str] = set()
    for code, d in zip(city.district_codes, district_ids, strict=True):
        side = _direction(*centroids[d])
        name = city.district_names[side][0] if side not in used_sides else next(spare)
        used_sides.add(side)
        members = np.flatnonzero(district_of == d)
        district = geom.union_exact([grids[i] for i in members])
        out["district"].append(
            _feature(
                district,
                frame,
                code=code,
                name=name,
                parent_code=city.prefecture_prefix + "00",
                level="district",
            )
        )
        street_ids = sorted(set(street_of[members].tolist()))
        street_ids.sort(key=lambda s: _angle(seeds[street_of == s].mean(axis=0) - centroids[d]))
        for k, s in enumerate(street_ids, start=1):
            # Grids are numbered from the north-west corner of their street.
            members_s = sorted(
                np.flatnonzero(street_of == s).tolist(), key=lambda i: (-seeds[i][1], seeds[i][0])
            )
            _street_features(
                rng, pool, frame, grids, neighbours, members_s, f"{code}{k:03d}", code, out
            )
    return out


def _angle(vector: geom.FloatArray) -> float:
    return math.atan2(float(vector[1]), float(vector[0]))


def _street_features(
    rng: np.random.Generator,
    pool: _NamePool,
    frame: geom.LocalFrame,
    grids: list[Polygon],
    neighbours: list[set[int]],
    members: list[int],
    street_code: str,
    district_code: str,
    out: dict[str, list[dict[str, Any]]],
) -> None:
    """One street and its grids, grouped into communities of neighbouring grids."""
    out["street"].append(
        _feature(
            geom.union_exact([grids[i] for i in members]),
            frame,
            code=street_code,
            name=f"{pool.take('streets')}街道",
            parent_code=district_code,
            level="street",
        )
    )
    number = 0
    for community in _communities(rng, members, neighbours):
        community_name = f"{pool.take('communities')}社区"
        for j, i in enumerate(community, start=1):
            number += 1
            out["grid"].append(
                _feature(
                    grids[i],
                    frame,
                    code=f"{street_code}{number:03d}",
                    name=f"{community_name}第{j}网格",
                    parent_code=street_code,
                    level="grid",
                    community=community_name,
                    roads=[pool.take("roads"), pool.take("roads")],
                )
            )


def _road_names(rng: np.random.Generator, places: dict[str, Any]) -> list[str]:
    """Distinct road names: every stem once (suffix by weight) before any stem repeats."""
    stems = unique_strings(places["roads"], "place_names", "roads")
    suffixes, probs = weights(places["road_suffixes"], "place_names.road_suffixes")
    used: dict[str, set[int]] = {stem: set() for stem in stems}
    names: list[str] = []
    for _ in suffixes:
        for stem in rng.permutation(stems).tolist():
            left = [i for i in range(len(suffixes)) if i not in used[stem]]
            p = probs[left] / probs[left].sum()
            pick = left[int(rng.choice(len(left), p=p))]
            used[stem].add(pick)
            names.append(f"{stem}{suffixes[pick]}")
    return names


def _communities(
    rng: np.random.Generator, members: list[int], neighbours: list[set[int]]
) -> list[list[int]]:
    """Split a street's grids into communities of 2-4 neighbouring grids."""
    left = list(members)
    member_set = set(members)
    result: list[list[int]] = []
    while left:
        target = int(rng.integers(2, 5))
        group = [left.pop(0)]
        frontier = sorted(neighbours[group[0]] & member_set & set(left))
        while frontier and len(group) < target:
            nxt = frontier.pop(0)
            group.append(nxt)
            left.remove(nxt)
            frontier = sorted((set(frontier) | neighbours[nxt]) & set(left))
        result.append(group)
    return result


def _grid_workers(
    rng: np.random.Generator, grid_features: list[dict[str, Any]]
) -> tuple[GridWorker, ...]:
    from citybase.demo.generate_people import draw_names

    counts = rng.integers(1, 3, size=len(grid_features))
    total = int(counts.sum())
    names = draw_names(rng, rng.random(total) < 0.45)
    mobiles = generate_mobile_array(rng, total)
    codes = np.repeat([f["properties"]["code"] for f in grid_features], counts)
    return tuple(
        GridWorker(grid_code=str(c), name=str(n), mobile=str(m))
        for c, n, m in zip(codes, names, mobiles, strict=True)
    )


def write_parquet(table: pa.Table, path: Path) -> Path:
    """Write atomically: a temp file in the same directory, then ``os.replace``."""
    # Not mkstemp: its 0600 mode would survive the rename; a random name is just as safe here.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def generate_registries(
    seed: int,
    geography: CityGeography,
    out_dir: Path,
    *,
    residents: int = 100_000,
    enterprises: int = 10_000,
    vehicles: int = 20_000,
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Write residents, enterprises and vehicles Parquet files; return their paths by name."""
    from citybase.demo.generate_orgs import build_enterprises
    from citybase.demo.generate_people import build_residents
    from citybase.demo.generate_vehicles import build_vehicles

    for field, count in (
        ("residents", residents),
        ("enterprises", enterprises),
        ("vehicles", vehicles),
    ):
        if count < 0:
            raise ValidationFailed(f"{field}: must be 0 or more, got {count}", field=field)
    if residents < 1 and (enterprises or vehicles):
        raise ValidationFailed(
            "residents: enterprises and vehicles need resident owners; ask for at least 1",
            field="residents",
        )
    report: Progress = progress or (lambda step, done, total: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    people = build_residents(seed, geography, residents, report)
    paths = {"residents": write_parquet(people.table, out_dir / "residents.parquet")}
    orgs = build_enterprises(seed, geography, people, enterprises, report)
    paths["enterprises"] = write_parquet(orgs.table, out_dir / "enterprises.parquet")
    cars = build_vehicles(seed, geography, people, orgs, vehicles, report)
    paths["vehicles"] = write_parquet(cars, out_dir / "vehicles.parquet")
    return paths
