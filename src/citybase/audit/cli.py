"""``citybase audit …``: verify the chain, read the log."""

from __future__ import annotations

from typing import Annotated

import typer

from citybase.cli_support import console, db_session, err_console, friendly_errors

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
@friendly_errors
def verify() -> None:
    """Recompute the hash chain; exit 1 naming the first broken record."""
    from citybase.audit import service

    with db_session() as s:
        result = service.verify(db_session=s)
    if result.ok:
        console.print(f"[green]Audit chain intact[/]: {result.checked} records verified.")
        return
    err_console.print(
        f"[bold red]Audit chain broken[/] in lane {result.lane} at record "
        f"seq={result.first_broken_seq} (id={result.first_broken_id}): {result.reason}. "
        f"{result.checked} records before it verify."
    )
    raise typer.Exit(1)


@app.command("tail")
@friendly_errors
def tail(
    n: Annotated[int, typer.Option("-n", min=1, max=1000)] = 20,
    object_id: Annotated[str | None, typer.Option(help="Only records about this object.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only records by this username.")] = None,
) -> None:
    """Show the latest records."""
    from rich.table import Table
    from sqlalchemy import select

    from citybase.audit.models import AuditRecord

    table = Table("id", "lane:seq", "at", "actor", "dept", "action", "object", "purpose")
    with db_session() as s:
        stmt = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(n)
        if object_id:
            stmt = stmt.where(AuditRecord.object_id == object_id)
        if actor:
            stmt = stmt.where(AuditRecord.actor_name == actor)
        for r in s.scalars(stmt):
            table.add_row(
                str(r.id),
                f"{r.lane}:{r.seq}",
                r.at.strftime("%Y-%m-%d %H:%M:%S"),
                r.actor_name,
                r.department_code or "-",
                r.action,
                f"{r.object_type}:{r.object_id}",
                r.purpose or "",
            )
    console.print(table)
