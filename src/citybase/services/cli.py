"""``citybase services …``: rule tests, offline decisions, certificate verification, keys.

``test`` and ``decide`` need no database (the catalogue and rules are files); ``verify``
checks a certificate offline and, when a database is configured, against the register.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from citybase.cli_support import console, friendly_errors, load_settings
from citybase.errors import ValidationFailed

app = typer.Typer(
    help="One-stop services (一网通办): rules, decisions, e-certificates.", no_args_is_help=True
)


@app.command("test")
@friendly_errors
def test(
    item: Annotated[str | None, typer.Option(help="Only this item's cases.")] = None,
) -> None:
    """Run every item's YAML rule test cases (rules/…, tests/…)."""
    from citybase.services.ruletests import run_tests

    report = run_tests(load_settings(), only=item)
    for r in report.results:
        mark = "[green]✓[/green]" if r.ok else "[red]✗[/red]"
        console.print(f"{mark} {r.item} {r.name}  ({r.file}:{r.line})")
        for p in r.problems:
            console.print(f"    {p}")
    ok = len(report.results) - len(report.failed)
    console.print(f"{ok} passed, {len(report.failed)} failed in {report.seconds:.2f} s")
    if report.failed or not report.results:
        raise typer.Exit(1)


def _read_input(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"--input: {path} cannot be read ({exc}).", field="--input") from exc
    if not isinstance(raw, dict):
        raise ValidationFailed(
            "--input: expected a mapping of inputs (or date + input).", field="--input"
        )
    return raw


@app.command("decide")
@friendly_errors
def decide(
    item: Annotated[str, typer.Argument(help="Item code, e.g. MZJ-GLJT-01.")],
    input_file: Annotated[
        Path, typer.Option("--input", help="YAML/JSON: inputs, or {date, input}.")
    ],
    fmt: Annotated[str, typer.Option("--format", help="json or text.")] = "text",
    on: Annotated[str | None, typer.Option("--date", help="Decide as on this date.")] = None,
) -> None:
    """Decide ITEM on the inputs in FILE with the rules in force on the date."""
    from citybase.services import service

    raw = _read_input(input_file)
    values = raw.get("input", raw) if isinstance(raw.get("input"), dict) else raw
    values = {k: v for k, v in values.items() if k != "date"}
    day_text = on or raw.get("date")
    day = None
    if day_text is not None:
        try:
            day = dt.date.fromisoformat(str(day_text))
        except ValueError:
            raise ValidationFailed(f"date: '{day_text}' is not YYYY-MM-DD.", field="date") from None
    out = service.decide(item_code=item, on=day, values=values, settings=load_settings())
    if fmt == "json":
        typer.echo(json.dumps(out.as_dict(), ensure_ascii=False, indent=2, default=str))
        return
    console.print(f"{out.item} {out.decision} (rules {out.rule_version}, {out.decided_on})")
    for s in out.trace:
        console.print(f"  {s.result:7} {s.rule}: {s.when}  — {s.article}")
        for i in s.inputs:
            console.print(f"          {i.name} = {i.value!r}  ← {i.source.get('kind')}")


@app.command("verify")
@friendly_errors
def verify(
    path: Annotated[Path, typer.Argument(help="A certificate JSON or token file.")],
    offline: Annotated[bool, typer.Option(help="Do not consult the register.")] = False,
) -> None:
    """Verify an e-certificate: signature, the city's key, expiry (and revocation)."""
    from citybase.services.issuing import verify_token

    settings = load_settings()
    text = path.read_text(encoding="utf-8")
    if offline:
        result = verify_token(db_session=None, settings=settings, token=text)
    else:
        from citybase.cli_support import db_session

        with db_session(settings) as s:
            result = verify_token(db_session=s, settings=settings, token=text)
    cert = result.certificate or {}
    if result.valid:
        console.print(
            f"[green]valid[/green] {cert.get('id')} {cert.get('title')} "
            f"holder {cert.get('holder', {}).get('name')} until {cert.get('valid_until')}"
        )
        return
    console.print(f"[red]invalid[/red]: {result.reason}")
    raise typer.Exit(1)


@app.command("keygen")
@friendly_errors
def keygen(
    force: Annotated[bool, typer.Option(help="Replace an existing key.")] = False,
) -> None:
    """Create the city's Ed25519 e-certificate key in data_dir/services/."""
    from citybase.services import certs

    settings = load_settings()
    path = certs.key_dir(settings) / certs.KEY_FILE
    if path.exists() and not force:
        raise ValidationFailed(
            f"{path} exists; pass --force to replace it (old certificates then fail verification).",
            field="--force",
        )
    certs.generate_key(path)
    certs._load.cache_clear()
    key = certs.signing_key(settings)
    console.print(f"wrote {path}; key id {key.key_id}, fingerprint {key.fingerprint}")
