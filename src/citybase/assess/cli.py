"""``citybase assess``: run an assessment from a file, validate frameworks, store results."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from citybase.cli_support import console, db_session, err_console, friendly_errors, load_settings
from citybase.errors import ValidationFailed

if TYPE_CHECKING:
    from citybase.assess.inputs import AssessmentRequest

app = typer.Typer(
    help="Transformation assessment (BTE model, barrel effect, 1+N roadmap).",
    no_args_is_help=True,
)

FORMATS = ("json", "html", "pdf")


def _framework_path(request: AssessmentRequest, framework: Path | None) -> Path | None:
    return framework or request.path(request.spec.framework)


def _run(
    request: AssessmentRequest,
    framework: Path | None,
    actions: Path | None,
    store: bool,
    replace: bool,
) -> dict[str, Any]:
    from citybase.assess.assessment import assess
    from citybase.assess.framework import load_framework
    from citybase.assess.roadmap import load_actions

    spec = request.spec
    custom = framework or spec.framework or actions or spec.actions
    if store and custom:
        raise ValidationFailed(
            "--store keeps stored results comparable: it uses the platform's framework and "
            "action library (CITYBASE_TAXONOMY_DIR), so it cannot be combined with another "
            "framework or action library.",
            field="store",
        )
    if not (spec.live or store):
        fw = load_framework(_framework_path(request, framework))
        acts = load_actions(fw, actions or request.path(spec.actions))
        return assess(request, framework=fw, actions=acts)
    from citybase.assess import service
    from citybase.assess.platform import collect_live_indicators

    settings = load_settings()
    with db_session(settings) as session:
        if store:
            row = service.run_assessment(
                db_session=session, actor=None, request=request, settings=settings, replace=replace
            )
            err_console.print(
                f"[green]Stored[/] assessment {row.id} ({row.city_code} {row.period})"
            )
            return dict(row.result)
        fw = load_framework(_framework_path(request, framework))
        acts = load_actions(fw, actions or request.path(spec.actions))
        live = collect_live_indicators(db_session=session)
        return assess(request, framework=fw, actions=acts, live=live)


@app.command("run")
@friendly_errors
def run(
    input_file: Annotated[
        Path, typer.Argument(metavar="INPUT", help="YAML request, or CSV/XLSX values.")
    ],
    framework: Annotated[
        Path | None, typer.Option("--framework", help="Indicator framework YAML.")
    ] = None,
    actions: Annotated[Path | None, typer.Option("--actions", help="Action library YAML.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="json, html or pdf.")] = "json",
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file (json: default stdout).")
    ] = None,
    city: Annotated[
        str | None, typer.Option(help="City code (tables with several cities).")
    ] = None,
    period: Annotated[str | None, typer.Option(help="Assessment period, e.g. 2025.")] = None,
    locale: Annotated[str, typer.Option(help="Report language: zh-CN or en.")] = "zh-CN",
    draws: Annotated[int | None, typer.Option(help="Monte-Carlo draws (0: skip).")] = None,
    store: Annotated[bool, typer.Option(help="Also store the result in the platform.")] = False,
    replace: Annotated[bool, typer.Option(help="With --store: recompute an existing one.")] = False,
) -> None:
    """Assess a city from INPUT and write the result as JSON, an HTML report or a PDF report."""
    from citybase.assess.framework import load_framework
    from citybase.assess.inputs import load_request
    from citybase.assess.report import render_html, render_pdf

    if output_format not in FORMATS:
        raise ValidationFailed(f"--format must be one of {', '.join(FORMATS)}.", field="format")
    request = load_request(input_file, city=city, period=period)
    if draws is not None:
        if draws == 0:
            request.spec.robustness = None
        else:
            from citybase.assess.robustness import RobustnessSpec

            base = request.spec.robustness or RobustnessSpec()
            request.spec.robustness = base.model_copy(update={"draws": draws})
    result = _run(request, framework, actions, store, replace)
    if output_format == "json":
        text = json.dumps(result, ensure_ascii=False, indent=2)
        if out is None:
            sys.stdout.write(text + "\n")
        else:
            out.write_text(text + "\n", encoding="utf-8")
            err_console.print(f"[green]Wrote[/] {out}")
        return
    if store:
        from citybase.assess.platform import platform_framework

        fw = platform_framework(load_settings())
    else:
        fw = load_framework(_framework_path(request, framework))
    html = render_html(result, fw, locale=locale)
    target = out or Path(f"assessment-{result['city']['code']}-{result['period']}.{output_format}")
    if output_format == "html":
        target.write_text(html, encoding="utf-8")
    else:
        target.write_bytes(render_pdf(html))
    index = result["index"]
    summary = f"I = {index:.3f}" if index is not None else "I not computable (see warnings)"
    err_console.print(f"[green]Wrote[/] {target} · {summary}")


@app.command("check-framework")
@friendly_errors
def check_framework(
    path: Annotated[Path, typer.Argument(help="Framework YAML to validate.")],
    actions: Annotated[
        Path | None, typer.Option("--actions", help="Also validate this action library.")
    ] = None,
) -> None:
    """Validate a framework file (and optionally an action library against it)."""
    from citybase.assess.framework import load_framework
    from citybase.assess.roadmap import load_actions

    fw = load_framework(path)
    counts: dict[str, int] = {}
    for ind in fw.indicators:
        counts[ind.element] = counts.get(ind.element, 0) + 1
    console.print(f"[green]OK[/] {fw.id} {fw.version}: {len(fw.indicators)} indicators")
    console.print(", ".join(f"{e} {n}" for e, n in counts.items()))
    if actions is not None:
        console.print(f"[green]OK[/] {len(load_actions(fw, actions))} actions")


@app.command("list")
@friendly_errors
def list_cmd(city: Annotated[str | None, typer.Option(help="Only this city.")] = None) -> None:
    """Stored assessments."""
    from citybase.assess import service

    with db_session() as session:
        for a in service.list_assessments(db_session=session, city_code=city):
            index = f"{a.bte_index:.3f}" if a.bte_index is not None else "—"
            live = "live" if a.live else "entered"
            console.print(f"{a.id:>4}  {a.city_code:<12} {a.period:<8} I={index}  {live}")


@app.command("compare")
@friendly_errors
def compare_cmd(
    city: Annotated[str, typer.Argument(help="City code.")],
    base: Annotated[str, typer.Argument(help="Earlier period.")],
    target: Annotated[str, typer.Argument(help="Later period.")],
) -> None:
    """What moved between two stored periods, and why (JSON)."""
    from citybase.assess import service

    with db_session() as session:
        diff = service.compare_periods(
            db_session=session, city_code=city, base_period=base, target_period=target
        )
    sys.stdout.write(json.dumps(diff, ensure_ascii=False, indent=2) + "\n")


@app.command("load-peers")
@friendly_errors
def load_peers(
    path: Annotated[
        Path, typer.Argument(help="CSV/XLSX: one row per city (city, city_name, ids…).")
    ],
    period: Annotated[str, typer.Option(help="The period these values describe.")],
) -> None:
    """Store peer cities' values for a period (validated; each write audited)."""
    from citybase.assess import service
    from citybase.assess.tables import read_table, table_cities

    cities = table_cities(read_table(path), path.name)
    with db_session() as session:
        for code, city in cities.items():
            if not code:
                raise ValidationFailed(f"{path.name}: every row needs a city code.", field="city")
            service.save_peer(
                db_session=session,
                actor=None,
                code=code,
                name=city.name,
                period=period,
                values={k: v for k, (v, _) in city.values.items()},
                source=path.name,
                settings=load_settings(),
            )
    console.print(f"[green]Stored[/] {len(cities)} peer cities for {period}")


if __name__ == "__main__":  # `python -m citybase.assess.cli …`, same as `citybase assess …`
    app()
