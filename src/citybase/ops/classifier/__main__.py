"""``python -m citybase.ops.classifier classify|train|evaluate``: the same commands as
``citybase ops classify|train|evaluate``."""

from __future__ import annotations

import typer

from citybase.ops.classifier.cli import register

app = typer.Typer(help="City-event text classifier.", no_args_is_help=True)
register(app)

if __name__ == "__main__":
    app()
