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


@app.command("ingest")
@friendly_errors
def ingest(
    worker: int = typer.Option(1, help="Worker number: the MQTT client id (one per process)."),
    base_url: str = typer.Option(
        "http://127.0.0.1:8000/sta/v1.1", help="Base of the selfLinks in republished entities."
    ),
) -> None:
    """Consume observations from MQTT (QoS 1, persistent session) until interrupted."""
    import logging
    import signal

    from citybase.cli_support import open_database
    from citybase.db import make_session_factory
    from citybase.sensing import mqtt_publish
    from citybase.sensing.ingest import Ingest

    logging.basicConfig(level=logging.INFO)
    engine = open_database()
    factory = make_session_factory(engine)
    mqtt_publish.configure(factory)
    consumer = Ingest(factory, client_id=f"citybase-ingest-{worker}", base_url=base_url)
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop_event.set())
    typer.echo(f"sensing ingest worker {worker}: consuming (Ctrl-C to stop)")
    try:
        consumer.run()
    except KeyboardInterrupt:
        pass
    finally:
        mqtt_publish.shutdown()
        engine.dispose()
    c = consumer.counters
    typer.echo(f"stored {c.stored}, rejected {c.rejected}, rate-limited {c.rate_limited}")
