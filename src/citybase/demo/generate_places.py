"""Where registry rows live: grids as arrays, points inside grids, address prefixes.

Residents, enterprises and vehicles all need "pick a grid, a point inside it and an
address on one of its roads", vectorised over tens of thousands of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from shapely.geometry import Polygon

from citybase.demo.generate_geometry import sample_in_polygon

if TYPE_CHECKING:
    from citybase.demo.generate import CityGeography

StrArray = npt.NDArray[np.str_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GridTable:
    """The grids of a geography as parallel arrays (index = position in the grid layer)."""

    codes: StrArray
    street_codes: StrArray
    district_codes: StrArray
    prefixes: StrArray
    """City + district + street names, the start of every address in the grid."""
    roads: StrArray
    """(n_grids, 2): the roads of each grid."""
    polygons: list[Polygon]
    popularity: FloatArray
    """Probability of a row landing in each grid: uneven, like real neighbourhoods."""

    def __len__(self) -> int:
        return len(self.codes)

    def choose(self, rng: np.random.Generator, n: int) -> IntArray:
        return np.asarray(rng.choice(len(self), size=n, p=self.popularity), dtype=np.int64)


def grid_table(geography: CityGeography, rng: np.random.Generator) -> GridTable:
    names = geography.names
    props = geography.properties("grid")
    street_parent = {p["code"]: p["parent_code"] for p in geography.properties("street")}
    streets = [p["parent_code"] for p in props]
    districts = [street_parent[s] for s in streets]
    prefixes = [
        f"{geography.city.name}{names[d]}{names[s]}"
        for d, s in zip(districts, streets, strict=True)
    ]
    popularity = np.exp(rng.normal(0.0, 0.5, size=len(props)))
    shapes = geography.shapes
    return GridTable(
        codes=np.array([p["code"] for p in props], dtype=np.str_),
        street_codes=np.array(streets, dtype=np.str_),
        district_codes=np.array(districts, dtype=np.str_),
        prefixes=np.array(prefixes, dtype=np.str_),
        roads=np.array([p["roads"] for p in props], dtype=np.str_),
        polygons=[shapes[p["code"]] for p in props],
        popularity=popularity / popularity.sum(),
    )


def points_in_grids(
    rng: np.random.Generator, table: GridTable, grid_idx: IntArray
) -> tuple[FloatArray, FloatArray]:
    """A uniform random point inside the chosen grid for every row (6-decimal degrees)."""
    lon = np.empty(len(grid_idx), dtype=np.float64)
    lat = np.empty(len(grid_idx), dtype=np.float64)
    order = np.argsort(grid_idx, kind="stable")
    grids, starts, counts = np.unique(grid_idx[order], return_index=True, return_counts=True)
    for g, start, count in zip(grids.tolist(), starts.tolist(), counts.tolist(), strict=True):
        rows = order[start : start + count]
        lon[rows], lat[rows] = sample_in_polygon(rng, table.polygons[g], count)
    return lon, lat


def street_numbers(rng: np.random.Generator, n: int) -> IntArray:
    """House numbers: median about 28, a few long roads run into the hundreds."""
    numbers = 1 + np.floor(np.exp(rng.normal(3.3, 1.0, size=n)))
    return np.asarray(np.clip(numbers, 1, 600).astype(np.int64))


def pick_roads(rng: np.random.Generator, table: GridTable, grid_idx: IntArray) -> StrArray:
    return np.asarray(table.roads[grid_idx, rng.integers(0, table.roads.shape[1], len(grid_idx))])


def short_addresses(rng: np.random.Generator, table: GridTable, grid_idx: IntArray) -> list[str]:
    """``示范市临江区滨江街道幸福路128号`` for each row: road and number in its grid."""
    roads = pick_roads(rng, table, grid_idx)
    numbers = street_numbers(rng, len(grid_idx))
    prefixes = table.prefixes[grid_idx]
    return [
        f"{p}{r}{no}号"
        for p, r, no in zip(prefixes.tolist(), roads.tolist(), numbers.tolist(), strict=True)
    ]


def choose_labels(
    rng: np.random.Generator, labels: list[str], probs: FloatArray, n: int
) -> StrArray:
    """``n`` labels drawn with the given probabilities."""
    return np.asarray(np.array(labels, dtype=np.str_)[rng.choice(len(labels), size=n, p=probs)])


def dates_from_days(days: IntArray) -> npt.NDArray[np.datetime64]:
    """Days since 1970-01-01 as numpy dates (what pyarrow's date32 stores)."""
    return np.asarray(days.astype("datetime64[D]"))
