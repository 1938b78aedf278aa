"""The ``citybase`` command. Each domain adds its own sub-app through the citybase_cli hook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

import citybase
from citybase.cli_support import console, friendly_errors, load_settings
from citybase.db import check_connection, make_engine, migration_state, upgrade
from citybase.plugins import get_plugin_manager

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
def version() -> None:
    """Print the citybase version."""
    console.print(citybase.__version__)


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Apply every pending migration (all installed domains)."""
    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    state = migration_state(engine)
    console.print(f"[green]Database up to date[/] at {', '.join(state['current'])}")  # type: ignore[arg-type]


@db_app.command("status")
@friendly_errors
def db_status() -> None:
    """Show current and head migration revisions."""
    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    check_connection(engine)
    console.print_json(json.dumps(migration_state(engine)))


@config_app.command("show")
@friendly_errors
def config_show() -> None:
    """Print the effective settings, secrets hidden."""
    console.print_json(json.dumps(load_settings().redacted(), ensure_ascii=False))


@app.command()
@friendly_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Apply migrations and start the HTTP server."""
    import uvicorn

    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    engine.dispose()
    console.print(f"citybase on http://{host or settings.host}:{port or settings.port}/")
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
        Path | None, typer.Option("--data-dir", help="Where the demo city lives.")
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

    if data_dir is not None:
        os.environ["CITYBASE_DATA_DIR"] = str(data_dir)
    if port is not None:
        os.environ["CITYBASE_PORT"] = str(port)
    from citybase.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    build_demo(settings=settings, seed=seed)
    if not no_serve:
        serve(host=None, port=None, workers=1)


def _register_domain_commands() -> None:
    get_plugin_manager().hook.citybase_cli(app=app)


_register_domain_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
