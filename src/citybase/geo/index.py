"""The in-process spatial index: every area's polygon in one shapely STRtree.

``locate`` must not scan every polygon, so the areas are loaded once into an STRtree and
point queries go through it (bounding-box search in the tree, then an exact
point-in-polygon test on the few candidates).

The index is cached per database *and* per state of the areas: the key is the database
URL plus ``(geo_state.version, max(geo_area.id), max(geo_area.updated_at))``. Every import
that changes an area bumps the version and stamps the rows it touched, so the next lookup,
in this process or any other serving the same database, builds a fresh index; an import
that changes nothing keeps the old one. (The timestamps matter too: a version number rolled
back with its transaction may be reused, a timestamp is not.) The key costs one query of
three index lookups per ``locate``: the price of never serving a stale answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.geo.enums import LEVELS, Level
from citybase.geo.models import Area, GeoState

CACHE_SIZE = 8


@dataclass(frozen=True)
class IndexedArea:
    code: str
    name: str
    level: Level
    parent: int | None  # position of the parent in ``SpatialIndex.areas``


@dataclass
class SpatialIndex:
    """Areas and their shapes in a fixed order, with an STRtree over the shapes."""

    areas: list[IndexedArea]
    shapes: np.ndarray[Any, np.dtype[np.object_]]
    tree: shapely.STRtree
    by_code: dict[str, int]
    extras: dict[str, Any] = field(default_factory=dict)  # derived views (e.g. the SVG map)

    @classmethod
    def build(cls, rows: Sequence[tuple[int, str, str, str, int | None, str]]) -> SpatialIndex:
        """``rows``: (id, code, name, level, parent_id, geometry GeoJSON text)."""
        position = {row[0]: i for i, row in enumerate(rows)}
        areas = [
            IndexedArea(
                code=code,
                name=name,
                level=Level(level),
                parent=position.get(parent_id) if parent_id is not None else None,
            )
            for _, code, name, level, parent_id, _ in rows
        ]
        shapes = shapely.from_geojson([row[5] for row in rows]) if rows else np.array([])
        shapes = np.asarray(shapes, dtype=object)
        shapely.prepare(shapes)
        return cls(
            areas=areas,
            shapes=shapes,
            tree=shapely.STRtree(shapes),
            by_code={a.code: i for i, a in enumerate(areas)},
        )

    def chain(self, position: int) -> dict[Level, int]:
        """The area at ``position`` and its ancestors, by level."""
        out: dict[Level, int] = {}
        current: int | None = position
        while current is not None and self.areas[current].level not in out:
            out[self.areas[current].level] = current
            current = self.areas[current].parent
        return out

    def resolve(self, hits: Sequence[int]) -> dict[Level, int]:
        """From the areas containing a point, the finest one and its ancestors.

        The finest level wins and its ancestors come from the hierarchy (a grid names its
        street, the street its district), so the answer is always consistent. On a shared
        boundary the lowest code wins, so the answer is deterministic.
        """
        if not len(hits):
            return {}
        best = min(hits, key=lambda i: (-self.areas[i].level.depth, self.areas[i].code))
        found = self.chain(best)
        # Levels above the chain's top (e.g. a street stored without a parent): look them up.
        for level in LEVELS[: self.areas[best].level.depth]:
            if level not in found:
                same = [i for i in hits if self.areas[i].level is level]
                if same:
                    found[level] = min(same, key=lambda i: self.areas[i].code)
        return found

    def locate(self, lon: float, lat: float) -> dict[Level, int]:
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        return self.resolve([int(h) for h in hits])

    def locate_many(self, points: Sequence[tuple[float, float]]) -> list[dict[Level, int]]:
        """Vectorised: one STRtree query for every point."""
        if not len(points):
            return []
        coords = np.asarray(points, dtype=float)
        geoms = shapely.points(coords)
        pairs = self.tree.query(geoms, predicate="intersects")
        per_point: list[list[int]] = [[] for _ in range(len(coords))]
        for p, a in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
            per_point[p].append(a)
        return [self.resolve(h) for h in per_point]

    def shape(self, code: str) -> BaseGeometry | None:
        i = self.by_code.get(code)
        return None if i is None else self.shapes[i]


_cache: OrderedDict[tuple[str, tuple[Any, ...]], SpatialIndex] = OrderedDict()
_lock = threading.Lock()


def _database_key(db_session: Session) -> str:
    bind = db_session.get_bind()
    return bind.engine.url.render_as_string(hide_password=True)


# Three scalar subqueries: each max() is one index lookup (a single SELECT with two
# aggregates would scan the table on SQLite and PostgreSQL). Built once, reused per lookup.
_FINGERPRINT = select(
    select(GeoState.version).where(GeoState.id == 1).scalar_subquery(),
    select(func.max(Area.id)).scalar_subquery(),
    select(func.max(Area.updated_at)).scalar_subquery(),
)


def fingerprint(db_session: Session) -> tuple[Any, ...]:
    row = db_session.execute(_FINGERPRINT).one()
    return (row[0], row[1], str(row[2]))


def get_index(db_session: Session) -> SpatialIndex:
    """The index for the areas this session sees, built on first use after any change."""
    key = (_database_key(db_session), fingerprint(db_session))
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    rows = db_session.execute(
        select(Area.id, Area.code, Area.name, Area.level, Area.parent_id, Area.geometry).order_by(
            Area.id
        )
    ).all()
    index = SpatialIndex.build([tuple(r) for r in rows])  # type: ignore[misc]
    with _lock:
        _cache[key] = index
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def clear_cache() -> None:
    with _lock:
        _cache.clear()
