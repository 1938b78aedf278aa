from __future__ import annotations

from citybase.domain import DomainPlugin
from citybase.hookspecs import DemoStep, ModuleInfo, hookimpl

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
