"""``citybase geo …``: import GeoJSON, locate a point, list areas."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from citybase.cli_support import console, db_session, friendly_errors
from citybase.errors import NotFound, ValidationFailed
from citybase.geo.enums import Level

app = typer.Typer(help="City geography: districts, streets, grids.", no_args_is_help=True)


def read_geojson(path: Path) -> Any:
    """Parse a .geojson/.json file (optionally gzip-compressed) with a clear error if it fails."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ValidationFailed(f"File not found: {path}", field="FILE") from None
    except IsADirectoryError:
        raise ValidationFailed(
            f"{path} is a directory, not a GeoJSON file.", field="FILE"
        ) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValidationFailed(
                f"{path} is not a valid gzip file: {exc}", field="FILE"
            ) from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValidationFailed(f"{path} is not UTF-8 text.", field="FILE") from None
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            field="FILE",
        ) from None


@app.command("import")
@friendly_errors
def import_file(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="GeoJSON FeatureCollection.")],
    level: Annotated[
        Level | None, typer.Option(help="Level of every feature (else each feature's 'level').")
    ] = None,
) -> None:
    """Create or update areas from GeoJSON, by code. All or nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from citybase.geo import service

    collection = read_geojson(path)
    with (
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
        db_session() as s,
    ):
        task = progress.add_task(f"importing {path.name}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = service.import_geojson(
            db_session=s, actor=None, feature_collection=collection, level=level, progress=advance
        )
    console.print(
        f"[green]Imported[/] {report.total} areas from {path.name}: "
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged "
        f"({', '.join(f'{k} {v}' for k, v in report.levels.items() if v)})"
    )


# Negative longitudes look like options to the parser: let them through as arguments.
@app.command("locate", context_settings={"ignore_unknown_options": True})
@friendly_errors
def locate(
    lon: Annotated[float, typer.Argument(help="Longitude (WGS84).")],
    lat: Annotated[float, typer.Argument(help="Latitude (WGS84).")],
) -> None:
    """Print the district, street and grid containing a point."""
    from rich.table import Table

    from citybase.geo import service

    with db_session() as s:
        found = service.locate(db_session=s, lon=lon, lat=lat)
    if found is None:
        raise NotFound(f"The point ({lon}, {lat}) is outside every area of the city.")
    table = Table("level", "code", "name")
    for ref in (found.district, found.street, found.grid):
        if ref is not None:
            table.add_row(str(ref.level), ref.code, ref.name)
    console.print(table)


@app.command("list")
@friendly_errors
def list_areas(
    level: Annotated[Level | None, typer.Option(help="Only this level.")] = None,
    parent: Annotated[str | None, typer.Option(help="Only the children of this code.")] = None,
) -> None:
    """List areas with level, parent and size."""
    from rich.table import Table

    from citybase.geo import service

    table = Table("code", "name", "level", "parent", "km²")
    with db_session() as s:
        areas = service.list_areas(db_session=s, level=level, parent_code=parent)
        for a in areas:
            table.add_row(a.code, a.name, a.level, a.parent_code or "-", f"{a.area_m2 / 1e6:.3f}")
    console.print(table)
    console.print(f"[dim]{len(areas)} areas[/]")
