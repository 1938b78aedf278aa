from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from citybase.hookspecs import DemoStep, ModuleInfo, hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

HERE = Path(__file__).parent


@hookimpl
def citybase_load_models() -> None:
    from citybase.geo import models  # noqa: F401


@hookimpl
def citybase_routers() -> list[APIRouter]:
    from citybase.geo import pages, router

    return [router.router, pages.router]


@hookimpl
def citybase_cli(app: typer.Typer) -> None:
    from citybase.geo.cli import app as geo_app

    app.add_typer(geo_app, name="geo")


@hookimpl
def citybase_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def citybase_translations(locale: str) -> dict[str, str]:
    from citybase.web.i18n import load_messages

    return load_messages(HERE / "locales" / f"{locale}.yaml")


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
