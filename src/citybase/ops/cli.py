"""``citybase ops …``: routing test bench, indicators, import of historical cases."""

from __future__ import annotations

import json
from pathlib import Path
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


@app.command("import")
@friendly_errors
def import_cmd(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX file.")],
) -> None:
    """Import closed historical cases (CSV in UTF-8 or GBK, or XLSX); all rows or none."""
    from citybase.audit import service as audit_service
    from citybase.ops.history import bulk_closed
    from citybase.ops.importer import read_history

    settings = load_settings()
    items = read_history(path, settings)
    with db_session(settings) as s:
        n = bulk_closed(s, settings, items)
        audit_service.record(
            s, actor=None, action="ops.import", object_type="ops_case", object_id=path.name,
            detail={"cases": n},
        )  # fmt: skip
    typer.echo(f"imported {n} closed cases from {path.name}")


@app.command("indicators")
@friendly_errors
def indicators_cmd(
    date_from: Annotated[str, typer.Option("--from", help="First city date, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last city date, YYYY-MM-DD.")],
    group: Annotated[
        str, typer.Option(help="none, department, district, street, grid, category, month, day.")
    ] = "none",
    fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
) -> None:
    """立案数, 应结案数, 结案数, 按期结案数 and the rates (docs/ops.md)."""
    import datetime as dt

    from citybase.ops import exports, indicators

    settings = load_settings()
    try:
        lo, hi = dt.date.fromisoformat(date_from), dt.date.fromisoformat(date_to)
    except ValueError:
        raise typer.BadParameter("--from/--to: write dates as YYYY-MM-DD.") from None
    with db_session(settings) as s:
        rows = indicators.compute(db_session=s, date_from=lo, date_to=hi, group=group)
    if fmt == "csv":
        typer.echo(exports.render(rows, "csv")[0].decode("utf-8-sig"), nl=False)
    else:
        typer.echo(json.dumps([r.model_dump() for r in rows], ensure_ascii=False, indent=1))


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
