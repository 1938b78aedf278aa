"""``citybase events …``: failed deliveries and retrying them."""

from __future__ import annotations

import typer
from rich.table import Table

from citybase.cli_support import console, db_session, friendly_errors

app = typer.Typer(help="Domain events: failed deliveries and retries.", no_args_is_help=True)


@app.command("failures")
@friendly_errors
def failures_cmd() -> None:
    """List event deliveries that kept failing."""
    from citybase.events import service

    with db_session() as s:
        rows = service.failures(s)
    if not rows:
        console.print("No failed event deliveries.")
        return
    table = Table("delivery", "event", "subscriber", "attempts", "last error")
    for r in rows:
        table.add_row(
            str(r["id"]),
            f"#{r['event_id']} {r['event_type']}",
            r["subscriber"],
            str(r["attempts"]),
            r["last_error"],
        )
    console.print(table)


@app.command("retry")
@friendly_errors
def retry_cmd(delivery_id: int = typer.Argument(..., help="Delivery id from `failures`.")) -> None:
    """Queue a failed delivery again (a running dispatcher or worker picks it up)."""
    from citybase.events import service

    with db_session() as s:
        service.retry_delivery(s, delivery_id=delivery_id, actor=None)
    console.print(f"Delivery #{delivery_id} queued again.")
