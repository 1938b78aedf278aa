"""Background jobs as a plug-in: the queue model, the job API and page, the CLI
(``citybase worker``, ``citybase jobs …``) and the ``jobs.JobProgress`` event."""

from __future__ import annotations

from typing import Any

from citybase.domain import DomainPlugin
from citybase.hookspecs import hookimpl

domain = DomainPlugin(
    name="jobs",
    models="citybase.jobs.models",
    routers=["citybase.jobs.router:router", "citybase.jobs.pages:router"],
    cli="citybase.jobs.cli:app",
    commands={"worker": "citybase.jobs.cli:worker_cmd"},
    templates=True,
    translations=True,
)


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
