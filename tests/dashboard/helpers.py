"""A third-party plug-in ("parking") that adds dashboard widgets and an event type through
the real hooks, a small city map, and a layout directory using both."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy.orm import Session

from citybase.events import DomainEvent
from citybase.geo import service as geo_service
from citybase.hookspecs import DashboardScope, DashboardWidget, hookimpl
from citybase.plugins import get_plugin_manager


class SpaceTaken(DomainEvent):
    """A parking space was taken (the plug-in's own event)."""

    event_type: ClassVar[str] = "parking.SpaceTaken"
    version: ClassVar[int] = 1
    lot: str
    lon: float
    lat: float


@dataclass
class ParkingPlugin:
    """Stands for a third-party domain: its "table" is a list, its widgets read it."""

    taken: list[dict[str, Any]] = field(default_factory=list)
    scopes: list[DashboardScope] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fail: bool = False

    def take(self, lot: str, lon: float, lat: float, at: str) -> None:
        with self.lock:
            self.taken.append({"name": lot, "lon": lon, "lat": lat, "at": at, "url": "/geo"})

    def spaces_taken(self, db_session: Session, scope: DashboardScope) -> dict[str, Any]:
        with self.lock:
            self.scopes.append(scope)
            if self.fail:
                raise RuntimeError("the parking sensors are down")
            return {"value": len(self.taken), "target": 10, "note": "P1–P3"}

    def points(self, db_session: Session, scope: DashboardScope) -> dict[str, Any]:
        with self.lock:
            return {"points": list(self.taken)}

    @hookimpl
    def citybase_event_types(self) -> list[type[Any]]:
        return [SpaceTaken]

    @hookimpl
    def citybase_dashboard_widgets(self) -> list[DashboardWidget]:
        return [
            DashboardWidget(
                key="parking.spaces_taken",
                title_zh="今日停车",
                title_en="Spaces taken today",
                unit_zh="个",
                kind="number",
                data=self.spaces_taken,
                refresh_on=("parking.SpaceTaken",),
                url="/geo",
            ),
            DashboardWidget(
                key="parking.points",
                title_zh="停车点位",
                title_en="Parking events",
                kind="map_layer",
                data=self.points,
                refresh_on=("parking.SpaceTaken",),
            ),
            DashboardWidget(  # the hook's original form: render(session), no scope
                key="parking.lots",
                title_zh="停车场",
                title_en="Car parks",
                render=lambda session: {"value": 3},
            ),
        ]


PARKING_LAYOUT = """
key: parking
title_zh: 停车专题屏
title_en: Parking screen
columns: 12
rows: 6
widgets:
  - {widget: parking.spaces_taken, x: 0, y: 0, w: 3, h: 2}
  - {widget: [weather.now, parking.lots], x: 0, y: 2, w: 3, h: 2}
  - {widget: sharing.grants_today, x: 0, y: 4, w: 3, h: 2}
  - widget: geo.city_map
    x: 3
    y: 0
    w: 6
    h: 6
    layers: [parking.points, geo.grid_workers]
  - {widget: dashboard.live_events, x: 9, y: 0, w: 3, h: 3}
  - {widget: assess.bte_triangle, x: 9, y: 3, w: 3, h: 3}
  - {widget: weather.forecast, x: 9, y: 3, w: 3, h: 3, optional: true}
"""

# The data hub's own tiles, which the city wall shows only where ops has none to put first.
HUB_LAYOUT = """
key: hub
title_zh: 数据中枢屏
title_en: Data hub screen
columns: 12
rows: 6
widgets:
  - {widget: datahub.datasets, x: 0, y: 0, w: 4, h: 3}
  - {widget: sharing.grants_today, x: 4, y: 0, w: 4, h: 3}
  - {widget: sharing.pending, x: 8, y: 0, w: 4, h: 3}
"""


@pytest.fixture
def parking() -> Iterator[ParkingPlugin]:
    plugin = ParkingPlugin()
    pm = get_plugin_manager()
    pm.register(plugin, name="tests.parking")
    try:
        yield plugin
    finally:
        pm.unregister(name="tests.parking")


def write_layouts(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def _square(lon: float, lat: float, d: float) -> list[list[list[float]]]:
    return [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]


def small_city(session: Session) -> None:
    """One district, one street, two grids (codes TD, TD-S, TD-S-G1, TD-S-G2)."""

    def feature(code: str, level: str, parent: str | None, ring: Any) -> dict[str, Any]:
        props: dict[str, Any] = {"code": code, "name": f"测试{code}", "level": level}
        if parent:
            props["parent_code"] = parent
        return {
            "type": "Feature",
            "properties": props,
            "geometry": {"type": "Polygon", "coordinates": ring},
        }

    features = [
        feature("TD", "district", None, _square(118.0, 32.0, 0.02)),
        feature("TD-S", "street", "TD", _square(118.0, 32.0, 0.02)),
        feature(
            "TD-S-G1",
            "grid",
            "TD-S",
            [[[118.0, 32.0], [118.01, 32.0], [118.01, 32.02], [118.0, 32.02], [118.0, 32.0]]],
        ),
        feature(
            "TD-S-G2",
            "grid",
            "TD-S",
            [[[118.01, 32.0], [118.02, 32.0], [118.02, 32.02], [118.01, 32.02], [118.01, 32.0]]],
        ),
    ]
    geo_service.import_geojson(
        db_session=session,
        actor=None,
        feature_collection={"type": "FeatureCollection", "features": features},
    )
    geo_service.assign_grid_worker(
        db_session=session,
        actor=None,
        grid_code="TD-S-G1",
        name="网格员甲",
        mobile="13800000001",
    )
    session.commit()
