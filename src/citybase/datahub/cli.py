"""``citybase datahub …``: load files, browse the catalog, check quality and consistency.

Commands act as the system (audited as "system"), like the other administrative commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from citybase.cli_support import console, db_session, friendly_errors, load_settings
from citybase.datahub.enums import BindingRole, OpenType, SharingType, UpdateFrequency
from citybase.errors import ValidationFailed

if TYPE_CHECKING:
    from citybase.datahub.types import ColumnType, QualityReport

app = typer.Typer(
    help="Data hub (数据中枢): catalog, versioned loads, quality.", no_args_is_help=True
)

Format = Literal["csv", "xlsx", "json", "ndjson", "parquet"]


def _schema_override(items: list[str]) -> dict[str, ColumnType]:

    out: dict[str, ColumnType] = {}
    allowed = ("string", "integer", "float", "boolean", "date", "timestamp", "decimal", "binary")
    for item in items:
        col, sep, kind = item.rpartition("=")
        if not sep or not col or kind not in allowed:
            raise ValidationFailed(
                f"--type '{item}' must be COLUMN=TYPE with TYPE one of {', '.join(allowed)}.",
                field="--type",
            )
        out[col] = kind  # type: ignore[assignment]
    return out


@app.command("ingest")
@friendly_errors
def ingest(
    path: Annotated[Path, typer.Argument(help="CSV, XLSX, JSON, NDJSON or Parquet file.")],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset name (created if absent).")],
    department: Annotated[
        str | None, typer.Option(help="Owning department code: needed to create the dataset.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title when creating the dataset.")] = None,
    format: Annotated[
        str | None,
        typer.Option("--format", help="csv, xlsx, json, ndjson, parquet (default: detect)."),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="utf-8, gbk, gb18030 … (default: detect).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first).")] = None,
    types: Annotated[
        list[str], typer.Option("--type", help="Override a column type: COLUMN=TYPE.")
    ] = [],  # noqa: B006
    accept_schema: Annotated[
        bool,
        typer.Option(
            "--accept-schema",
            help="Load even though a column loses its type (date → string …); audited.",
        ),
    ] = False,
    confirm_shrink: Annotated[
        bool,
        typer.Option(
            "--confirm-shrink",
            help="Load even though the file has far fewer rows than the current version; "
            "audited (CITYBASE_LOAD_SHRINK_CONFIRM_SHARE).",
        ),
    ] = False,
) -> None:
    """Load a file as the next version of a dataset, with progress; prints drift and quality.

    A column losing its type, or a file much smaller than the current version, refuses the
    load (naming the lines and values) unless --accept-schema / --confirm-shrink is given."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    from citybase.datahub import service
    from citybase.datahub.schemas import DatasetCreate
    from citybase.datahub.types import IngestOptions, LoadConsent

    settings = load_settings()
    try:
        options = IngestOptions.model_validate(
            {
                "format": format,
                "encoding": encoding,
                "sheet": sheet,
                "schema_override": _schema_override(types),
            }
        )
    except ValueError as exc:
        raise ValidationFailed(f"--format: {exc}", field="--format") from None
    with db_session(settings) as s:
        if service.find_dataset(db_session=s, name=dataset) is None:
            if department is None:
                raise ValidationFailed(
                    f"No dataset '{dataset}' yet: give --department CODE "
                    "(and --title) to create it.",
                    field="--department",
                )
            service.create_dataset(
                db_session=s,
                actor=None,
                data=DatasetCreate(
                    name=dataset,
                    title=title or dataset,
                    department_code=department,
                    theme=service.themes()[0].code,
                    licence="gov-internal",
                    sharing_type=SharingType.conditional,
                    sharing_condition="经数据所属部门审核同意后共享",
                    open_type=OpenType.not_open,
                    update_frequency=UpdateFrequency.irregular,
                ),
            )
            console.print(f"[green]Created dataset[/] {dataset} in {department}")
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(
                f"载入 {path.name}", total=path.stat().st_size if path.is_file() else None
            )

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total or None)

            report = service.load_version(
                db_session=s,
                data_dir=settings.data_dir,
                actor=None,
                name=dataset,
                source=path,
                options=options,
                settings=settings,
                progress=advance,
                consent=LoadConsent(accept_schema=accept_schema, confirm_shrink=confirm_shrink),
            )
        v = report.version
        console.print(
            f"[green]Loaded[/] {dataset} v{v.number}: {v.row_count} rows, "
            f"{len(v.columns)} columns, {v.source_format}"
            f"{' ' + v.encoding if v.encoding else ''}, {v.seconds:.2f} s, "
            f"sha256 {v.checksum[:16]}…"
        )
        if v.drift.any:
            for c in v.drift.added:
                console.print(f"  [green]+ {c.name}[/] ({c.type})")
            for c in v.drift.removed:
                console.print(f"  [red]- {c.name}[/] ({c.type})")
            for name, old, new in v.drift.type_changed:
                console.print(f"  [yellow]~ {name}[/]: {old} → {new}")
        for w in report.warnings:
            console.print(f"[yellow]warning:[/] {w}")
        if v.quality is not None:
            _print_quality(v.quality)


@app.command("list")
@friendly_errors
def list_datasets(
    department: Annotated[str | None, typer.Option(help="Only this department's datasets.")] = None,
) -> None:
    """List datasets with department, current version, rows and quality."""
    from rich.table import Table

    from citybase.datahub import service

    table = Table(
        "name", "title", "department", "version", "rows", "format", "quality", "failing rules"
    )
    with db_session() as s:
        found = service.list_datasets(
            db_session=s, viewer=None, department_code=department, limit=1_000_000, as_staff=True
        )
        for d in found:
            table.add_row(
                d.name,
                d.title,
                d.department.code,
                f"v{d.current_version}" if d.current_version else "-",
                str(d.row_count) if d.row_count is not None else "-",
                d.source_format or "-",
                service.quality_text(d.quality_score),
                _failing(d),
            )
    console.print(table)


def _failing(dataset: object) -> str:
    from citybase.datahub.catalog import failing_rules

    n = failing_rules(dataset)  # type: ignore[arg-type]
    return "-" if n is None else (f"[yellow]{n}[/]" if n else "0")


@app.command("show")
@friendly_errors
def show(name: str) -> None:
    """Metadata, versions (with drift) and element bindings of a dataset."""
    from rich.table import Table

    from citybase.datahub import service

    with db_session() as s:
        ds = service.get_dataset(db_session=s, name=name, check=False)
        read = service.to_read(s, ds)
        meta = read.model_dump(mode="json", exclude={"columns"})
        console.print_json(json.dumps(meta, ensure_ascii=False))
        table = Table("version", "loaded", "rows", "source", "quality", "drift", title="versions")
        for v in service.list_versions(db_session=s, dataset=ds):
            vr = service.version_read(ds, v)
            drift = ", ".join(
                [f"+{c.name}" for c in vr.drift.added]
                + [f"-{c.name}" for c in vr.drift.removed]
                + [f"{n}:{a}→{b}" for n, a, b in vr.drift.type_changed]
            )
            table.add_row(
                f"v{v.number}{' *' if vr.current else ''}",
                f"{v.loaded_at:%Y-%m-%d %H:%M}",
                str(v.row_count),
                f"{v.source_name} ({v.source_format})",
                vr.quality_text,
                drift or "-",
            )
        console.print(table)
        for b in service.bindings_of_dataset(db_session=s, dataset=ds):
            console.print(
                f"element {b.element.name} ({b.element.code}): column {b.column} as {b.role}"
            )


def _print_quality(report: QualityReport) -> None:
    from rich.table import Table

    from citybase.datahub.score import quality_text

    table = Table(
        "rule",
        "column",
        "checked",
        "failed",
        "score",
        "detail",
        title=f"quality {quality_text(report.score)}",
    )
    for r in report.results:
        sample = (
            "e.g. " + json.dumps(r.samples[0], ensure_ascii=False, default=str)[:80]
            if r.samples
            else r.message[:100]
        )
        style = "red" if r.failed and r.rule.blocking else ("yellow" if r.failed else "")
        table.add_row(
            f"[{style}]{r.rule.name}[/]" if style else str(r.rule.name),
            r.rule.column or "-",
            str(r.checked),
            str(r.failed),
            quality_text(r.score),
            sample,
        )
    console.print(table)


@app.command("quality")
@friendly_errors
def quality(
    name: str,
    rules: Annotated[
        Path | None, typer.Option(help="Replace the rules from this YAML file first.")
    ] = None,
) -> None:
    """Run the dataset's quality rules on its current version now."""
    from citybase.datahub import service

    settings = load_settings()
    with db_session(settings) as s:
        if rules is not None:
            try:
                text = rules.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise ValidationFailed(f"File not found: {rules}", field="--rules") from None
            service.set_rules(
                db_session=s, actor=None, name=name, rules=service.parse_rules_yaml(text)
            )
        report = service.run_quality(
            db_session=s, data_dir=settings.data_dir, actor=None, name=name
        )
        _print_quality(report)


@app.command("rollback")
@friendly_errors
def rollback(
    name: str,
    to: Annotated[int, typer.Option("--to", min=1, help="The version to make current again.")],
) -> None:
    """Make an earlier version of a dataset current again (audited; the open release is
    re-checked and the dataset held back if that version no longer passes the gate)."""
    from citybase.datahub import service

    settings = load_settings()
    with db_session(settings) as s:
        report = service.rollback_version(
            db_session=s,
            data_dir=settings.data_dir,
            actor=None,
            name=name,
            number=to,
            settings=settings,
        )
    console.print(
        f"[green]{name}[/]: version {report.current_version} is current again "
        f"(was {report.previous_version}), {report.rows} rows, quality {report.quality_text}"
        + (" — [yellow]held back from the open catalogue[/]" if report.held_back else "")
    )
    for w in report.warnings:
        console.print(f"[yellow]warning:[/] {w}")


@app.command("consistency")
@friendly_errors
def consistency(
    element: Annotated[str, typer.Argument(help="Data element code, e.g. hukou_address.")],
) -> None:
    """Compare every replica of a data element with its authoritative source."""
    from rich.table import Table

    from citybase.datahub import service

    settings = load_settings()
    with db_session(settings) as s:
        report = service.check_consistency(
            db_session=s, data_dir=settings.data_dir, actor=None, code=element
        )
        a = report.authority
        console.print(
            f"{report.element_name} ({report.element_code}): "
            f"authority {a.dataset}.{a.column} ({a.department_code})"
        )
        table = Table(
            "replica",
            "department",
            "compared",
            "matching",
            "mismatched",
            "missing in authority",
            "match",
        )
        for r in report.replicas:
            if r.problem:
                table.add_row(
                    f"{r.dataset}.{r.column}", r.department_code, "-", "-", "-", "-", r.problem
                )
                continue
            table.add_row(
                f"{r.dataset}.{r.column}",
                r.department_code,
                str(r.compared),
                str(r.matching),
                f"[red]{r.mismatched}[/]" if r.mismatched else "0",
                str(r.missing_in_authority),
                f"{r.match_share:.2%}",
            )
        console.print(table)
        for r in report.replicas:
            for smp in r.samples:
                console.print(
                    f"  {r.dataset} {smp.key}: authority {smp.authority_value!r} "
                    f"≠ replica {smp.replica_value!r}"
                )


@app.command("search")
@friendly_errors
def search(
    query: Annotated[str, typer.Argument(help="Words to search for (Chinese or English).")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
) -> None:
    """Full-text search over the catalog (as a staff user sees it)."""
    from rich.table import Table

    from citybase.datahub import service

    with db_session() as s:
        results = service.search_datasets(
            db_session=s, viewer=None, q=query, limit=limit, as_staff=True
        )
        table = Table(
            "score",
            "name",
            "title",
            "department",
            "theme",
            title=f"{results.total} results ({results.took_ms} ms)",
        )
        for h in results.hits:
            table.add_row(f"{h.score:.2f}", h.name, h.title, h.department_code, h.theme)
        console.print(table)


@app.command("elements-load")
@friendly_errors
def elements_load(
    path: Annotated[
        Path | None, typer.Argument(help="Element registry YAML (default: the demo city's).")
    ] = None,
) -> None:
    """Register the data elements of a YAML file that are not registered yet."""
    from citybase.datahub import service
    from citybase.datahub.themes import DATA_DIR

    with db_session() as s:
        n = service.load_elements_file(
            db_session=s, actor=None, path=path or DATA_DIR / "elements.yaml"
        )
        console.print(f"[green]{n}[/] data elements registered")


@app.command("bind")
@friendly_errors
def bind(
    element: Annotated[str, typer.Argument(help="Data element code, e.g. citizen_id.")],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset name.")],
    column: Annotated[str, typer.Option("--column", help="The column holding the element.")],
    role: Annotated[BindingRole, typer.Option(help="authority (the one source) or replica.")],
    key: Annotated[
        str | None, typer.Option("--key", help="Column identifying the subject (for consistency).")
    ] = None,
) -> None:
    """Bind a dataset column to a data element as its authority or a replica."""
    from citybase.datahub import service
    from citybase.datahub.schemas import BindingCreate

    with db_session() as s:
        b = service.bind_column(
            db_session=s,
            actor=None,
            code=element,
            data=BindingCreate(dataset=dataset, column=column, role=role, key_column=key),
        )
        console.print(f"[green]Bound[/] {b.element.name} → {dataset}.{column} as {b.role}")


from citybase.datahub import cli_privacy  # noqa: E402 - registers after the core commands

cli_privacy.register(app)
