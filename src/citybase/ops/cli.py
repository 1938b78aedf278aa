"""``citybase ops …``: routing test bench, indicators, import of historical cases."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from citybase.cli_support import db_session, friendly_errors, load_settings

app = typer.Typer(
    help="一网统管: city event operations (cases, routing, indicators).", no_args_is_help=True
)


@app.command("route")
@friendly_errors
def route_cmd(
    category: Annotated[
        str, typer.Argument(help="Category code, e.g. from event_categories.yaml.")
    ],
    text: Annotated[str, typer.Option(help="The report's text (keyword rules).")] = "",
    lon: Annotated[float | None, typer.Option(help="WGS84 longitude.")] = None,
    lat: Annotated[float | None, typer.Option(help="WGS84 latitude.")] = None,
) -> None:
    """Where would this report go? (the routing rules' test bench; nothing is written)."""
    from citybase.ops import service

    settings = load_settings()
    with db_session(settings) as s:
        service.get_category(settings, category)
        found, district, street = service.test_route(
            db_session=s,
            settings=settings,
            category=category,
            text=text,
            lon=lon,
            lat=lat,
        )
    typer.echo(json.dumps({"department": found.department, "grid_code": found.grid_code,
                           "rule": found.rule, "district_code": district, "street_code": street,
                           "skipped": found.skipped}, ensure_ascii=False))  # fmt: skip


# --- the classifier's commands -----------------------------------------------------------------
# `citybase ops classify` belongs to the classifier package (citybase.ops.classifier.cli): when
# it is installed it adds its commands here with register(app). Leave the name free.
def _register_classifier() -> None:
    import importlib

    try:
        module = importlib.import_module("citybase.ops.classifier.cli")
    except ImportError:
        return
    module.register(app)


_register_classifier()
