"""The assess domain registers through the same hooks as any third-party domain."""

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
    from citybase.assess import models  # noqa: F401


@hookimpl
def citybase_routers() -> list[APIRouter]:
    from citybase.assess import pages, router

    return [router.router, pages.router]


@hookimpl
def citybase_cli(app: typer.Typer) -> None:
    from citybase.assess.cli import app as assess_app

    app.add_typer(assess_app, name="assess")


@hookimpl
def citybase_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def citybase_translations(locale: str) -> dict[str, str]:
    from citybase.assess.report import all_messages

    return dict(all_messages().get(locale, {}))


@hookimpl
def citybase_modules() -> list[ModuleInfo]:
    return [
        ModuleInfo(
            key="assess",
            title_zh="转型评估",
            title_en="Assessment",
            url="/assess",
            roles=frozenset({"analyst"}),
            description_zh="BTE 模型、八大要素、木桶效应与“1+N”路线图",
            description_en="BTE model, eight elements, barrel effect and the 1+N roadmap",
            order=70,
        )
    ]


@hookimpl
def citybase_demo_steps() -> list[DemoStep]:
    from citybase.assess.demo import build_assessments

    # Late: the 2026 assessment reads the live indicators of every domain built before it.
    return [DemoStep(name="assessments", order=900, run=build_assessments)]
