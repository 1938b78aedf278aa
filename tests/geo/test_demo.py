"""The demo step: the generated city goes in through the service, with progress, idempotently."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from citybase.demo.context import DemoContext
from citybase.demo.generate import generate_geography
from citybase.demo.service import demo_steps
from citybase.geo import service
from citybase.geo.demo import build_geography
from citybase.geo.models import GridWorker
from citybase.settings import Settings


def run_step(settings: Settings, engine: Engine, factory: sessionmaker[Session]) -> DemoContext:
    console = Console(quiet=True)
    with Progress(console=console) as progress:
        ctx = DemoContext(
            settings=settings,
            seed=2021,
            data_dir=Path(settings.data_dir),
            engine=engine,
            session_factory=factory,
            progress=progress,
            console=console,
        )
        build_geography(ctx)
    return ctx


def test_the_geography_step_builds_the_demo_city(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session], session: Session
) -> None:
    step = next(s for s in demo_steps() if s.name == "geography")
    assert step.order == 30 and step.run is build_geography

    ctx = run_step(settings, engine, session_factory)
    expected = generate_geography(2021)
    assert ctx.shared["geography"] == expected
    (task,) = ctx.progress.tasks
    assert task.total == task.completed  # the progress bar reached its end
    for level, fc in (
        ("district", expected.districts),
        ("street", expected.streets),
        ("grid", expected.grids),
    ):
        codes = [a.code for a in service.list_areas(db_session=session, level=level)]
        assert codes == sorted(f["properties"]["code"] for f in fc["features"])
    workers = session.scalar(select(func.count(GridWorker.id)))
    assert workers == len(expected.grid_workers)

    # A point inside each sampled grid locates to that grid, its street and its district.
    for f in expected.grids["features"][::25]:
        shape = expected.shapes[f["properties"]["code"]]
        p = shape.representative_point()
        loc = service.locate(db_session=session, lon=p.x, lat=p.y)
        assert loc is not None and loc.grid is not None and loc.street is not None
        assert loc.grid.code == f["properties"]["code"]
        assert loc.street.code == f["properties"]["parent_code"]

    # Running the step again changes nothing.
    run_step(settings, engine, session_factory)
    assert session.scalar(select(func.count(GridWorker.id))) == workers
