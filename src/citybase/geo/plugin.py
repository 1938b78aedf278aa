from __future__ import annotations

from typing import Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import DashboardScope, DashboardWidget, DemoStep, ModuleInfo, hookimpl

domain = DomainPlugin(
    name="geo",
    models="citybase.geo.models",
    routers=["citybase.geo.router:router", "citybase.geo.pages:router"],
    cli="citybase.geo.cli:app",
    templates=True,
    translations="locales/{locale}.yaml",
)


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    return [
        ModuleInfo(
            key="geo",
            title_zh="城市网格",
            title_en="City grids",
            url="/geo",
            description_zh="区、街道、网格三级区划地图，坐标定位与网格员",
            description_en="Districts, streets and grids on a map; locate a point; grid workers",
            order=30,
        )
    ]


@hookimpl
def citybase_demo_steps() -> list[DemoStep]:
    from citybase.geo.demo import build_geography

    return [DemoStep(name="geography", order=30, run=build_geography)]


@hookimpl
def citybase_dashboard_widgets() -> list[DashboardWidget]:
    from citybase.geo import service

    def city_map(db_session: Any, scope: DashboardScope) -> dict[str, Any]:
        layers = service.map_layers(db_session=db_session, within=scope.area_code)
        return {"geojson": layers, "area": scope.area_code}

    def worker_heat(db_session: Any, scope: DashboardScope) -> dict[str, Any]:
        counts = service.grid_worker_counts(db_session=db_session, within=scope.area_code)
        return {"heat": counts, "unit": "人" if scope.locale == "zh-CN" else "workers"}

    def grids(db_session: Any, scope: DashboardScope) -> dict[str, Any]:
        layers = service.map_layers(db_session=db_session, within=scope.area_code)
        n = {level: len(fc["features"]) for level, fc in layers.items()}
        return {"value": n["grid"], "streets": n["street"], "districts": n["district"]}

    def workers_total(db_session: Any, scope: DashboardScope) -> dict[str, Any]:
        counts = service.grid_worker_counts(db_session=db_session, within=scope.area_code)
        return {"value": sum(counts.values()), "grids_covered": len(counts)}

    return [
        DashboardWidget(
            key="geo.grids",
            title_zh="网格",
            title_en="Grids",
            unit_zh="个",
            kind="number",
            data=grids,
            url="/geo",
            order=12,
        ),
        DashboardWidget(
            key="geo.grid_workers_total",
            title_zh="网格员",
            title_en="Grid workers",
            unit_zh="名",
            kind="number",
            data=workers_total,
            url="/geo",
            order=13,
        ),
        DashboardWidget(
            key="geo.city_map",
            title_zh="城市网格地图",
            title_en="City grid map",
            kind="map",
            data=city_map,
            url="/geo",
            order=10,
        ),
        DashboardWidget(
            key="geo.grid_workers",
            title_zh="网格员分布",
            title_en="Grid workers by grid",
            kind="map_layer",
            data=worker_heat,
            url="/geo",
            order=11,
        ),
    ]
