"""Background jobs as a plug-in: the queue model, the job API and page, the CLI
(``citybase worker``, ``citybase jobs …``) and the ``jobs.JobProgress`` event."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from citybase.hookspecs import hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

HERE = Path(__file__).parent


@hookimpl
def citybase_load_models() -> None:
    from citybase.jobs import models  # noqa: F401


@hookimpl
def citybase_routers() -> list[APIRouter]:
    from citybase.jobs import pages, router

    return [router.router, pages.router]


@hookimpl
def citybase_cli(app: typer.Typer) -> None:
    from citybase.jobs.cli import app as jobs_app
    from citybase.jobs.cli import worker_cmd

    app.add_typer(jobs_app, name="jobs")
    app.command("worker")(worker_cmd)


@hookimpl
def citybase_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def citybase_translations(locale: str) -> dict[str, str]:
    from citybase.web.i18n import load_messages

    return load_messages(HERE / "data" / f"messages.{locale}.yaml")


@hookimpl
def citybase_event_types() -> list[type[Any]]:
    from citybase.jobs.events import JobProgress

    return [JobProgress]
