"""The demo city's geography: districts, streets, grids and grid workers, through the service."""

from __future__ import annotations

from citybase.demo.context import DemoContext
from citybase.geo import service


def build_geography(ctx: DemoContext) -> None:
    """Import the generated city (all or nothing) and assign its grid workers.

    Re-running is harmless: areas are upserted by code and workers by (grid, mobile).
    Later steps (registries, events) find the ``CityGeography`` in ``ctx.shared``.
    """
    from citybase.demo.generate import generate_geography

    geography = generate_geography(ctx.seed)
    layers = [geography.districts, geography.streets, geography.grids]  # parents first
    workers = geography.grid_workers
    total = sum(len(layer["features"]) for layer in layers) + len(workers)
    task = ctx.progress.add_task("城市网格 geography", total=total)
    with ctx.session() as s:
        start = 0
        for layer in layers:

            def advance(done: int, steps: int, start: int = start) -> None:
                # import_geojson counts checking and writing: two steps per feature.
                ctx.progress.update(task, completed=start + done // 2)

            service.import_geojson(
                db_session=s, actor=None, feature_collection=layer, progress=advance
            )
            start += len(layer["features"])
            ctx.progress.update(task, completed=start)
        for w in workers:
            service.assign_grid_worker(
                db_session=s, actor=None, grid_code=w.grid_code, name=w.name, mobile=w.mobile
            )
            ctx.progress.advance(task)
    ctx.shared["geography"] = geography
