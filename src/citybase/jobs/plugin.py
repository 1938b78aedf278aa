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


@hookimpl
def citybase_demo_steps() -> list[Any]:
    from citybase.hookspecs import DemoStep

    def run(ctx: Any) -> None:
        # deliver what the other steps published and run what they queued, so the demo
        # city starts with every reaction done (the server's in-process worker takes over)
        from citybase.jobs.runtime import drain

        totals = drain(ctx.session_factory, settings=ctx.settings)
        ctx.console.print(f"  events delivered: {totals['deliveries']}, jobs run: {totals['jobs']}")

    return [DemoStep(name="jobs", order=990, run=run)]
