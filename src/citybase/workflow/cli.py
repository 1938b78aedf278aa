"""``citybase workflow …``: check the workflow files and show one, without starting a server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from citybase.cli_support import console, friendly_errors, load_settings

app = typer.Typer(help="Workflows (states, moves, guards, time limits).", no_args_is_help=True)


@app.command("check")
@friendly_errors
def check() -> None:
    """Validate every workflow file (shipped and the city's) as start-up does."""
    from citybase.plugins import get_plugin_manager
    from citybase.workflow.registry import reload, workflows

    settings = load_settings()
    reload()
    get_plugin_manager().hook.citybase_check_settings(settings=settings)
    table = Table("workflow", "states", "moves", "file")
    for name, wf in workflows(settings).items():
        table.add_row(name, str(len(wf.states)), str(len(wf.transitions)), wf.source)
    console.print(table)
    console.print("[green]OK[/]: every workflow file and the working-time calendar are valid.")


@app.command("show")
@friendly_errors
def show(name: Annotated[str, typer.Argument(help="Workflow name, e.g. sharing_request.")]) -> None:
    """The states (with time limits) and the moves (with their guards) of one workflow."""
    from citybase.workflow.registry import get_workflow

    wf = get_workflow(name, load_settings())
    console.print(f"[bold]{wf.name}[/] · {wf.title_zh} · initial: {wf.initial} · {wf.source}")
    states = Table("state", "label", "time limit", "kind")
    for s in wf.states.values():
        limit = f"{s.time_limit.amount:g} {s.time_limit.unit.value}" if s.time_limit else ""
        kind = "final" if s.final else ("pauses" if s.pauses else "")
        states.add_row(s.name, s.label_zh, limit, kind)
    console.print(states)
    moves = Table("move", "from", "to", "roles", "department", "requires", "extends")
    for t in wf.transitions.values():
        roles = "system" if t.system_only else ", ".join(sorted(t.roles or [])) or "any"
        extends = f"+{t.extends.amount:g} {t.extends.unit.value}" if t.extends else ""
        moves.add_row(
            t.name, ", ".join(t.sources), t.target, roles, t.department, ", ".join(t.requires),
            extends,
        )  # fmt: skip
    console.print(moves)
