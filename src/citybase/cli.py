"""The ``citybase`` command. Each domain adds its own sub-app through the citybase_cli hook.

Every command takes ``--data-dir`` (or CITYBASE_DATA_DIR). Only ``demo``, ``serve`` and
``db upgrade`` create a data directory; every other command refuses, in one line, to run on a
missing or unmigrated database. Importing this module stays cheap (see cli_support): heavy
libraries are imported inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

import citybase
from citybase.cli_support import (
    console,
    friendly_errors,
    load_settings,
    open_database,
    use_data_dir,
)

app = typer.Typer(
    help="citybase — the open city digital base (城市数字底座).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
config_app = typer.Typer(help="Effective configuration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")


@app.command()
@friendly_errors
def version() -> None:
    """Print the citybase version."""
    console.print(citybase.__version__)


def _migrate() -> list[str]:
    """Create (if need be) and migrate the database; returns the current revisions."""
    from citybase.db import make_engine, migration_state, upgrade

    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine)
        current = migration_state(engine)["current"]
        return [str(r) for r in current] if isinstance(current, list) else []
    finally:
        engine.dispose()


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Create the database if need be and apply every pending migration (all domains)."""
    console.print(f"[green]Database up to date[/] at {', '.join(_migrate())}")


@db_app.command("status")
@friendly_errors
def db_status() -> None:
    """Show current and head migration revisions."""
    from citybase.db import migration_state

    engine = open_database()
    try:
        console.print_json(json.dumps(migration_state(engine)))
    finally:
        engine.dispose()


@config_app.command("show")
@friendly_errors
def config_show() -> None:
    """Print the effective settings, secrets hidden."""
    console.print_json(json.dumps(load_settings().redacted(), ensure_ascii=False))


def refuse_workers_on_sqlite(workers: int, database_url: str) -> None:
    from citybase.errors import ConfigurationError

    if workers > 1 and database_url.startswith("sqlite"):
        raise ConfigurationError(
            f"--workers {workers} needs PostgreSQL: SQLite lets one process write at a time. "
            "Set CITYBASE_DATABASE_URL=postgresql+psycopg://user@host/db, or serve with "
            "--workers 1",
            field="workers",
        )


@app.command()
@friendly_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="API worker processes (more than 1 needs PostgreSQL).")
    ] = 1,
) -> None:
    """Apply migrations and start the HTTP server."""
    import uvicorn

    settings = load_settings()
    refuse_workers_on_sqlite(workers, settings.effective_database_url)
    _migrate()
    console.print(
        f"citybase on http://{host or settings.host}:{port or settings.port}/"
        + (f" ({workers} workers)" if workers > 1 else "")
    )
    # an import string, so that each worker process builds its own app (and engine)
    uvicorn.run(
        "citybase.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
    )


@app.command()
@friendly_errors
def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", envvar="CITYBASE_DATA_DIR", help="Where the demo city lives."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to serve on.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same city.")] = 2021,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Build the demo city but do not start the server.")
    ] = False,
) -> None:
    """Create (or reuse) the demo city 示范市 and serve it."""
    import os

    from citybase.demo.service import build_demo

    use_data_dir(data_dir)
    if port is not None:
        os.environ["CITYBASE_PORT"] = str(port)
    from citybase.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    build_demo(settings=settings, seed=seed)
    if not no_serve:
        serve(host=None, port=None, workers=1)


def _register_domain_commands() -> None:
    from citybase.plugins import get_plugin_manager

    get_plugin_manager().hook.citybase_cli(app=app)


_register_domain_commands()


def main() -> None:
    app(prog_name="citybase")


if __name__ == "__main__":
    main()
