"""``citybase datahub scan|redact-text|classify|grade|deidentify|release``.

``scan`` and ``redact-text`` work on files and stdin (no database); the others act on the
catalog as the system and are audited as such.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from citybase.cli_support import console, db_session, friendly_errors, load_settings
from citybase.errors import ValidationFailed
from citybase.privacy import cli as privacy_cli


def register(app: typer.Typer) -> None:
    """Add the classification and release commands to the data hub's Typer app."""
    app.command("scan")(privacy_cli.scan)
    app.command("redact-text")(privacy_cli.redact_text)
    app.command("classify")(classify_column)
    app.command("grade")(grade)
    app.command("deidentify")(deidentify)
    app.command("release")(release_dataset)


@friendly_errors
def classify_column(
    name: Annotated[str, typer.Argument(help="Dataset name")],
    column: Annotated[str, typer.Argument(help="Column name")],
    pii_type: Annotated[
        str, typer.Option("--type", help="A PII type (CN_ID_CARD…), 'none' or 'auto'")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (audited)")],
) -> None:
    """Correct a column's detected PII type, with a reason (kept across loads)."""
    from citybase.datahub import catalog, classify

    settings = load_settings()
    with db_session(settings) as s:
        ds = catalog.get_dataset(db_session=s, name=name, viewer=None, check=False)
        row = classify.override_column(
            db_session=s,
            actor=None,
            dataset=ds,
            column=column,
            pii_type=None if pii_type.lower() == "none" else pii_type,
            reason=reason,
            policy=classify.grading_policy(settings),
        )
        console.print(f"{name}.{column}: {row.pii_type or '—'} ({row.grade}); dataset {ds.grade}")


@friendly_errors
def grade(
    name: Annotated[str, typer.Argument(help="Dataset name")],
    grade: Annotated[
        str, typer.Option("--grade", help="core, important, general-1…general-4, or none")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (audited)")],
) -> None:
    """Designate a dataset's grade (核心/重要 only come from here), with a reason."""
    from citybase.datahub import catalog, classify

    settings = load_settings()
    with db_session(settings) as s:
        ds = catalog.get_dataset(db_session=s, name=name, viewer=None, check=False)
        effective = classify.designate_grade(
            db_session=s,
            actor=None,
            dataset=ds,
            grade=None if grade.lower() == "none" else grade,
            reason=reason,
            policy=classify.grading_policy(settings),
        )
        console.print(f"{name}: grade {effective.label}")


@friendly_errors
def deidentify(
    name: Annotated[str, typer.Argument(help="Source dataset")],
    policy: Annotated[Path, typer.Option("--policy", help="De-identification policy YAML")],
    into: Annotated[str, typer.Option("--into", help="Extract dataset (created if new)")],
    title: Annotated[str | None, typer.Option("--title")] = None,
    k: Annotated[
        int | None, typer.Option("--k", help="Suppress records in classes smaller than k")
    ] = None,
    quasi: Annotated[
        str, typer.Option("--quasi", help="Quasi-identifiers for --k, comma-separated")
    ] = "",
) -> None:
    """Apply a de-identification policy to a dataset into a derived extract (with lineage)."""
    from citybase.datahub import extracts
    from citybase.privacy.deid import DeidPolicy

    settings = load_settings()
    parsed = DeidPolicy.load(policy)
    with db_session(settings) as s:
        report = extracts.deidentify(
            db_session=s,
            data_dir=settings.data_dir,
            settings=settings,
            actor=None,
            source=name,
            into=into,
            policy=parsed,
            title=title,
            k=k,
            quasi_identifiers=[q.strip() for q in quasi.split(",") if q.strip()] or None,
        )
        console.print(
            f"[green]{into}[/] v{report.version.number}: {report.version.row_count:,} rows "
            f"de-identified from {name} (policy {parsed.fingerprint()})"
        )


@friendly_errors
def release_dataset(
    name: Annotated[str, typer.Argument(help="Dataset to open")],
    quasi: Annotated[
        str, typer.Option("--quasi", help="Quasi-identifier columns, comma-separated")
    ] = "",
    open_type: Annotated[str, typer.Option("--open-type")] = "unconditional",
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Run the open-release risk gate; opens the dataset if it passes (exit 1 if blocked)."""
    from rich.table import Table

    from citybase.datahub import release

    if format not in ("table", "json"):
        raise ValidationFailed(f"format: must be table or json, got {format!r}", field="format")
    settings = load_settings()
    with db_session(settings) as s:
        rec = release.release(
            db_session=s,
            data_dir=settings.data_dir,
            settings=settings,
            actor=None,
            name=name,
            quasi_identifiers=[q for q in quasi.split(",") if q.strip()],
            open_type=open_type,
        )
        out = release.release_read(rec)
    if format == "json":
        sys.stdout.write(json.dumps(out, ensure_ascii=False, default=str) + "\n")
    else:
        risk = out["report"].get("risk") or {}
        table = Table(
            title=f"{name} v{out['version']}: {'released' if out['passed'] else 'BLOCKED'}"
        )
        table.add_column("check")
        table.add_column("result")
        table.add_row("k (smallest class)", str(risk.get("smallest_class", "—")))
        table.add_row("required k", str(out["min_k"]))
        table.add_row("max re-identification risk", f"{risk.get('prosecutor_risk_max', 0):.1%}")
        table.add_row("unique records", f"{risk.get('share_unique', 0):.1%}")
        for reason in out["reasons"]:
            table.add_row("[red]blocked[/]", reason)
        console.print(table)
    if not out["passed"]:
        raise typer.Exit(1)
