"""Geometry of the synthetic city: outline, a grid coverage, grouping, points in polygons.

The grids are a Voronoi tessellation of jittered seed points, denser in the centre like a
real city. To make the three levels nest *exactly* (every grid inside one street, streets
tiling their district without slivers), the tessellation is built once as a noded line
arrangement on a 1e-6° grid and polygonised: neighbouring faces then share identical
vertices, and streets and districts are exact coverage unions of whole grids.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPoint, Polygon

FloatArray = npt.NDArray[np.float64]
GRID_SIZE = 1e-6  # degrees (~0.1 m): coordinates are snapped here so neighbours match
KM_PER_DEG_LAT = 110.574


class LocalFrame:
    """An equirectangular km frame around the centre: fine for a 30 km city."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self.km_per_deg_lon = 111.320 * math.cos(math.radians(lat0))

    def to_lonlat(self, xy: FloatArray) -> FloatArray:
        out = np.empty_like(xy)
        out[:, 0] = self.lon0 + xy[:, 0] / self.km_per_deg_lon
        out[:, 1] = self.lat0 + xy[:, 1] / KM_PER_DEG_LAT
        return out

    def to_km(self, lonlat: FloatArray) -> FloatArray:
        out = np.empty_like(lonlat)
        out[:, 0] = (lonlat[:, 0] - self.lon0) * self.km_per_deg_lon
        out[:, 1] = (lonlat[:, 1] - self.lat0) * KM_PER_DEG_LAT
        return out


def city_outline_km(rng: np.random.Generator, width: float, height: float) -> Polygon:
    """A smooth irregular blob: an ellipse whose radius wobbles with a few random harmonics."""
    theta = np.linspace(0.0, 2 * math.pi, 96, endpoint=False)
    radius = np.ones_like(theta)
    for harmonic in range(2, 8):
        amp = rng.uniform(0.03, 0.11) / (harmonic - 1) ** 0.8
        radius += amp * np.cos(harmonic * theta + rng.uniform(0, 2 * math.pi))
    radius = np.clip(radius, 0.72, 1.18)
    ring = np.column_stack(
        [width / 2 * radius * np.cos(theta), height / 2 * radius * np.sin(theta)]
    )
    return Polygon(ring)


def seed_points(rng: np.random.Generator, outline: Polygon, n: int) -> FloatArray:
    """``n`` points in the outline, three times denser in the centre, then relaxed twice."""
    minx, miny, maxx, maxy = outline.bounds
    shapely.prepare(outline)
    chosen: list[FloatArray] = []
    total = 0
    while total < n:
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n, 2))
        inside = shapely.contains_xy(outline, cand[:, 0], cand[:, 1])
        r = np.hypot(cand[:, 0], cand[:, 1])
        keep = inside & (rng.random(len(cand)) < (1 + 2 * np.exp(-((r / 7.0) ** 2))) / 3)
        chosen.append(cand[keep])
        total += int(keep.sum())
    points = np.concatenate(chosen)[:n]
    for _ in range(2):  # Lloyd relaxation: evens cell shapes, keeps the density gradient
        cells = _voronoi_cells(points, outline)
        centroids = shapely.get_coordinates(shapely.centroid(shapely.intersection(cells, outline)))
        points = np.asarray(centroids, dtype=np.float64)
    return points


def _voronoi_cells(points: FloatArray, outline: Polygon) -> npt.NDArray[np.object_]:
    """Voronoi cells in the order of ``points`` (GEOS returns them unordered)."""
    envelope = shapely.box(*outline.buffer(10.0).bounds)
    diagram = shapely.voronoi_polygons(MultiPoint(points), extend_to=envelope)
    cells = np.array(list(diagram.geoms), dtype=object)
    tree = shapely.STRtree(cells)
    point_idx, cell_idx = tree.query(shapely.points(points), predicate="within")
    ordered = np.empty(len(points), dtype=object)
    ordered[point_idx] = cells[cell_idx]
    return ordered


def grid_coverage(points_km: FloatArray, outline_km: Polygon, frame: LocalFrame) -> list[Polygon]:
    """One lon/lat polygon per seed point; together an exact coverage of the city outline."""
    cells = _voronoi_cells(points_km, outline_km)

    def to_ll(xy: FloatArray) -> FloatArray:
        return frame.to_lonlat(xy)

    lines = [shapely.transform(c.exterior, to_ll) for c in cells]
    lines.append(shapely.transform(outline_km.exterior, to_ll))
    noded = shapely.union_all(lines, grid_size=GRID_SIZE)
    faces = np.array(list(shapely.polygonize(list(noded.geoms)).geoms), dtype=object)
    outline_ll = shapely.set_precision(shapely.transform(outline_km, to_ll), GRID_SIZE)
    inside = shapely.contains(outline_ll, shapely.point_on_surface(faces))
    faces = faces[inside]
    seeds_ll = shapely.points(frame.to_lonlat(points_km))
    owner = np.full(len(faces), -1, dtype=np.int64)
    face_idx, seed_idx = shapely.STRtree(faces).query(seeds_ll, predicate="within")
    owner[seed_idx] = face_idx
    _adopt_orphans(faces, owner)
    groups: list[list[Polygon]] = [[] for _ in range(len(points_km))]
    for face, who in zip(faces, owner, strict=True):
        groups[int(who)].append(face)
    return [_merge(g) for g in groups]


def _adopt_orphans(faces: npt.NDArray[np.object_], owner: npt.NDArray[np.int64]) -> None:
    """Give each face without a seed (a cell cut in two by the outline) to its neighbour
    with the longest shared edge, so every grid is one connected polygon."""
    tree = shapely.STRtree(faces)
    for _ in range(len(faces)):
        orphans = np.flatnonzero(owner < 0)
        if orphans.size == 0:
            return
        for i in orphans:
            best, best_len = -1, 0.0
            for j in tree.query(faces[i], predicate="intersects"):
                if owner[j] < 0 or j == i:
                    continue
                shared = shapely.length(shapely.intersection(faces[i].boundary, faces[j].boundary))
                if shared > best_len:
                    best, best_len = int(owner[j]), float(shared)
            if best >= 0:
                owner[i] = best
    raise RuntimeError("grid coverage: some outline fragments touch no grid")


def _merge(parts: Sequence[Polygon]) -> Polygon:
    merged = parts[0] if len(parts) == 1 else shapely.coverage_union_all(list(parts))
    if not isinstance(merged, Polygon):
        raise RuntimeError(f"grid coverage: merged parts form a {merged.geom_type}")
    return shapely.normalize(merged)


def adjacency(polygons: Sequence[Polygon]) -> list[set[int]]:
    """Which polygons share an edge (not just a corner) with which."""
    arr = np.array(polygons, dtype=object)
    tree = shapely.STRtree(arr)
    left, right = tree.query(arr, predicate="intersects")
    neighbours: list[set[int]] = [set() for _ in polygons]
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j:
            shared = shapely.intersection(arr[i].boundary, arr[j].boundary)
            if shapely.length(shared) > 0:
                neighbours[i].add(j)
                neighbours[j].add(i)
    return neighbours


def kmeans_labels(
    rng: np.random.Generator, points: FloatArray, k: int, iterations: int = 12
) -> npt.NDArray[np.int64]:
    """Plain Lloyd k-means (few dozen points): compact, roughly equal groups of grids."""
    k = min(k, len(points))
    centres = points[rng.choice(len(points), size=k, replace=False)]
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(iterations):
        dist = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels = dist.argmin(axis=1)
        for c in range(k):
            members = points[labels == c]
            if len(members):
                centres[c] = members.mean(axis=0)
            else:  # an emptied centre restarts at the point farthest from its own centre
                centres[c] = points[dist.min(axis=1).argmax()]
    return labels


def make_contiguous(
    labels: npt.NDArray[np.int64], members: Sequence[int], neighbours: Sequence[set[int]]
) -> None:
    """Relabel detached pieces of a group to the neighbouring group they touch most.

    Nearest-centre grouping of irregular cells can leave a grid or two cut off from the rest
    of its street; a street must be one piece, so such pieces join a neighbour (in place).
    """
    member_set = set(members)
    for _ in range(100):
        changed = False
        for label in sorted({int(labels[i]) for i in members}):
            nodes = sorted(i for i in members if labels[i] == label)
            components = _components(nodes, neighbours, labels)
            components.sort(key=lambda comp: (-len(comp), min(comp)))
            for comp in components[1:]:
                votes = Counter(
                    int(labels[j])
                    for i in comp
                    for j in neighbours[i]
                    if j in member_set and labels[j] != label
                )
                if votes:
                    best = max(votes, key=lambda lab: (votes[lab], -lab))
                    labels[list(comp)] = best
                    changed = True
        if not changed:
            return


def _components(
    nodes: Sequence[int], neighbours: Sequence[set[int]], labels: npt.NDArray[np.int64]
) -> list[list[int]]:
    seen: set[int] = set()
    result: list[list[int]] = []
    for start in nodes:
        if start in seen:
            continue
        stack, comp = [start], []
        seen.add(start)
        while stack:
            i = stack.pop()
            comp.append(i)
            for j in neighbours[i]:
                if j not in seen and labels[j] == labels[start]:
                    seen.add(j)
                    stack.append(j)
        result.append(comp)
    return result


def union_exact(polygons: Sequence[Polygon]) -> Polygon:
    """Union of whole grids sharing identical edges: exact, no slivers."""
    merged = shapely.coverage_union_all(list(polygons))
    if not isinstance(merged, Polygon):
        raise RuntimeError(f"grouping produced a {merged.geom_type}, expected one polygon")
    return shapely.normalize(merged)


def sample_in_polygon(
    rng: np.random.Generator, polygon: Polygon, count: int
) -> tuple[FloatArray, FloatArray]:
    """``count`` uniform points strictly inside the polygon (rejection in its bounds)."""
    shapely.prepare(polygon)
    minx, miny, maxx, maxy = polygon.bounds
    fill = max(polygon.area / ((maxx - minx) * (maxy - miny)), 0.05)
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    have = 0
    while have < count:
        m = int((count - have) / fill * 1.3) + 16
        x = rng.uniform(minx, maxx, size=m).round(6)
        y = rng.uniform(miny, maxy, size=m).round(6)
        ok = shapely.contains_xy(polygon, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        have += int(ok.sum())
    return np.concatenate(xs)[:count], np.concatenate(ys)[:count]
