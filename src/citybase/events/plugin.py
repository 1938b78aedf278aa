"""Domain events as a plug-in: the outbox models, the live stream, the admin page of failed
deliveries and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from citybase.hookspecs import hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

HERE = Path(__file__).parent


@hookimpl
def citybase_load_models() -> None:
    from citybase.events import models  # noqa: F401


@hookimpl
def citybase_routers() -> list[APIRouter]:
    from citybase.events import pages, router

    return [router.router, pages.router]


@hookimpl
def citybase_cli(app: typer.Typer) -> None:
    from citybase.events.cli import app as events_app

    app.add_typer(events_app, name="events")


@hookimpl
def citybase_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def citybase_translations(locale: str) -> dict[str, str]:
    from citybase.web.i18n import load_messages

    return load_messages(HERE / "data" / f"messages.{locale}.yaml")
