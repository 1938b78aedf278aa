"""`citybase sensing …`: the MQTT ingest process, the simulator, retention."""

from __future__ import annotations

import typer

from citybase.cli_support import db_session, friendly_errors

app = typer.Typer(help="City sensing: SensorThings, MQTT ingest, simulator.", no_args_is_help=True)


@app.command("retention")
@friendly_errors
def retention() -> None:
    """Apply the retention settings now (the worker also does it every 6 hours)."""
    from citybase.sensing.config import sensing_settings
    from citybase.sensing.store import apply_retention

    cfg = sensing_settings()
    with db_session() as db:
        out = apply_retention(db, raw_days=cfg.retention_days, minute_days=cfg.minute_rollup_days)
    typer.echo(
        f"deleted {out['observations']} observations, {out['minute_rollups']} minute rollups"
    )
