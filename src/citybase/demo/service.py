"""Build the demo city by running every domain's demo steps in order; reuse a finished one."""

from __future__ import annotations

import json
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import citybase
from citybase.db import make_engine, make_session_factory, upgrade
from citybase.demo.accounts import DEMO_PASSWORD, demo_accounts
from citybase.demo.context import DemoContext
from citybase.errors import ConfigurationError
from citybase.hookspecs import DemoStep
from citybase.plugins import get_plugin_manager
from citybase.settings import Mode, Settings

MARKER = "demo.json"


def demo_steps() -> list[DemoStep]:
    steps = [s for group in get_plugin_manager().hook.citybase_demo_steps() for s in group]
    return sorted(steps, key=lambda s: (s.order, s.name))


def build_demo(
    *, settings: Settings, seed: int, console: Console | None = None
) -> dict[str, object]:
    """Create the demo city in ``settings.data_dir`` unless the same seed already built it."""
    console = console or Console()
    if settings.mode is Mode.production:
        raise ConfigurationError(
            "The demo city is for development: it creates accounts with a known password. "
            "Unset CITYBASE_MODE=production to build it.",
            field="CITYBASE_MODE",
        )
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    marker = data_dir / MARKER
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    steps = demo_steps()
    names = [s.name for s in steps]
    if marker.exists():
        done = json.loads(marker.read_text(encoding="utf-8"))
        if done.get("seed") == seed and done.get("steps") == names:
            console.print(f"[green]Reusing the demo city[/] in {data_dir} (seed {seed}).")
            _print_accounts(console)
            engine.dispose()
            return dict(done)
        console.print("[yellow]Demo city out of date or built with another seed: updating.[/]")
    started = time.perf_counter()
    timings: dict[str, float] = {}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        ctx = DemoContext(
            settings=settings,
            seed=seed,
            data_dir=data_dir,
            engine=engine,
            session_factory=make_session_factory(engine),
            progress=progress,
            console=console,
        )
        overall = progress.add_task("示范市 demo city", total=len(steps))
        for step in steps:
            t0 = time.perf_counter()
            step.run(ctx)
            timings[step.name] = round(time.perf_counter() - t0, 2)
            progress.advance(overall)
    total = round(time.perf_counter() - started, 2)
    result = {
        "seed": seed,
        "steps": names,
        "seconds": total,
        "step_seconds": timings,
        "citybase": citybase.__version__,
    }
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(marker)
    engine.dispose()
    console.print(f"[green]Demo city built[/] in {total:.1f} s in {data_dir}.")
    _print_accounts(console)
    return result


def _print_accounts(console: Console) -> None:
    table = Table(
        "username", "role", "department", title=f"Demo accounts (password: {DEMO_PASSWORD})"
    )
    for acc in demo_accounts():
        table.add_row(acc.username, acc.role, acc.department or "-")
    console.print(table)
