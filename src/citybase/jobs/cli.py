"""``citybase worker`` and ``citybase jobs list|show|cancel``."""

from __future__ import annotations

import json
import signal
import threading
from typing import Annotated, Any

import typer
from rich.table import Table

from citybase.cli_support import (
    console,
    db_session,
    friendly_errors,
    load_settings,
    open_database,
)

app = typer.Typer(help="Background jobs: list, show, cancel.", no_args_is_help=True)


def _row(job: Any) -> list[str]:
    pct = job.percent
    return [
        str(job.id),
        job.name,
        job.status,
        f"{job.attempts}/{job.max_attempts}",
        "" if pct is None else f"{pct}%",
        job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
    ]


@app.command("list")
@friendly_errors
def list_cmd(
    status: Annotated[str | None, typer.Option(help="Only jobs with this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """The latest jobs."""
    from citybase.jobs import service

    with db_session() as s:
        jobs = service.list_jobs(db_session=s, user=None, status=status, limit=limit)
        table = Table("id", "name", "status", "attempts", "progress", "created")
        for j in jobs:
            table.add_row(*_row(j))
    console.print(table if jobs else "No jobs.")


@app.command("show")
@friendly_errors
def show_cmd(job_id: int = typer.Argument(..., help="Job id.")) -> None:
    """One job as JSON: status, progress, result or error."""
    from citybase.jobs import service

    with db_session() as s:
        data = service.as_dict(service.get(db_session=s, job_id=job_id, user=None))
    console.print_json(json.dumps(data, ensure_ascii=False))


@app.command("cancel")
@friendly_errors
def cancel_cmd(job_id: int = typer.Argument(..., help="Job id.")) -> None:
    """Cancel a queued job, or ask a running one to stop at its next progress report."""
    from citybase.jobs import service

    with db_session() as s:
        job = service.cancel(db_session=s, job_id=job_id, user=None)
        status = job.status
    console.print(f"Job #{job_id}: {'cancelled' if status == 'cancelled' else 'asked to stop'}.")


@friendly_errors
def worker_cmd(
    queue: Annotated[
        list[str] | None, typer.Option(help="Queues to work (default: default).")
    ] = None,
    once: Annotated[bool, typer.Option(help="Run what is due now, then exit.")] = False,
) -> None:
    """Run jobs and deliver events until stopped (Ctrl-C). Several may run on PostgreSQL."""
    from rich.progress import BarColumn, Progress, TaskID, TextColumn

    from citybase.db import make_session_factory
    from citybase.events.dispatcher import Dispatcher
    from citybase.events.listen import PgListener
    from citybase.events.wake import hub
    from citybase.jobs.runtime import Worker, drain

    settings = load_settings()
    engine = open_database(settings)  # never creates a database; one line if there is none
    sf = make_session_factory(engine)
    if once:
        totals = drain(sf, settings=settings)
        console.print(
            f"Ran {totals['jobs']} job(s) and {totals['deliveries']} event delivery(ies)."
        )
        return
    queues = tuple(queue or ["default"])
    threads: list[Any] = []
    if engine.dialect.name == "postgresql":
        threads.append(PgListener(engine))
    threads.append(Dispatcher(sf, max_attempts=settings.events_max_attempts))
    threads.append(Worker(sf, lease_seconds=settings.job_lease_seconds, queues=queues))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    for t in threads:
        t.start()
    console.print(f"citybase worker on {engine.dialect.name}, queues {', '.join(queues)}")
    tasks: dict[int, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
    ) as bar:
        h = hub("events")
        try:
            while not stop.is_set():
                seen = h.seq
                _show(sf, bar, tasks)
                h.wait(seen, 1.0)
        except KeyboardInterrupt:
            pass
    for t in threads:
        t.stop()
    for t in threads:
        t.join(settings.job_lease_seconds)
    engine.dispose()


def _show(sf: Any, bar: Any, tasks: dict[int, Any]) -> None:
    from sqlalchemy import select

    from citybase.jobs.models import Job

    with sf() as s:
        rows = s.scalars(select(Job).where(Job.status == "running").order_by(Job.id)).all()
        finished = s.scalars(select(Job).where(Job.id.in_(list(tasks)))).all() if tasks else []
    for job in list(rows) + [j for j in finished if j.status != "running"]:
        if job.id not in tasks:
            tasks[job.id] = bar.add_task(f"#{job.id} {job.name}", total=None, status=job.status)
        total = job.progress_total or None
        bar.update(tasks[job.id], total=total, completed=job.progress_done, status=job.status)
        if job.status != "running":
            bar.stop_task(tasks.pop(job.id))
