"""The demo city's operations (order 70): six months of closed cases with daily and seasonal
rhythms and a few departments running late, today's open cases on the live workflow, and a
live trickle of new reports while ``citybase demo`` runs (the job ``ops.demo_trickle``).

Sizes are settings (``CITYBASE_OPS_DEMO_CASES``, ``CITYBASE_OPS_DEMO_DAYS``), so tests build
a small history. The trickle runs only in a data directory the demo built (a marker file).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from citybase.db import session_scope, utcnow
from citybase.demo.context import DemoContext
from citybase.jobs import JobContext, PeriodicJob, job
from citybase.ops import service
from citybase.ops.demo_data import (
    arrival_times,
    category_list,
    grid_points,
    seasonal_weights,
    wording,
)
from citybase.ops.enums import Channel
from citybase.ops.history import HistoricalCase, bulk_closed
from citybase.ops.schemas import IntakeBody
from citybase.ops.settings import get_ops_settings
from citybase.settings import Settings, get_settings
from citybase.worktime import CalendarNotCovered, clock_for

MARKER = Path("ops") / "demo-trickle"
CHANNELS = [Channel.hotline, Channel.web, Channel.grid, Channel.open311, Channel.sensor]
CHANNEL_P = [0.55, 0.2, 0.18, 0.04, 0.03]
SATISFACTION = ["satisfied", "basically_satisfied", "dissatisfied", None]
SATISFACTION_P = [0.68, 0.14, 0.08, 0.10]


def history(
    settings: Settings, db_session: Session, seed: int, n: int, days: int
) -> list[HistoricalCase]:
    rng = np.random.default_rng([seed, 70])
    cats = category_list(settings)
    clock = clock_for(settings)
    departments = sorted({c.department for c in cats})
    late = set(rng.choice(departments, size=min(3, len(departments)), replace=False).tolist())
    end = utcnow() - dt.timedelta(days=3)
    times = arrival_times(rng, n, end, days, clock.tz)
    points = grid_points(db_session, rng, n)
    out = []
    for i, at in enumerate(times):
        month = at.astimezone(clock.tz).month
        cat = cats[int(rng.choice(len(cats), p=seasonal_weights(cats, month, seed)))]
        limit_h = cat.limit_amount * (7.5 if cat.limit_unit.value == "working_days" else 1)
        share = rng.uniform(0.5, 1.7) if cat.department in late else rng.beta(2.2, 4) * 1.15
        dispatched = at + dt.timedelta(minutes=int(rng.integers(3, 90)))
        try:
            handled = clock.add(dispatched, round(max(share * limit_h, 0.2), 2), "working_hours")
        except CalendarNotCovered:
            continue
        closed = handled + dt.timedelta(hours=float(rng.uniform(0.5, 20)))
        if closed > utcnow():
            continue
        lon, lat = points[i] if points else (None, None)
        out.append(
            HistoricalCase(
                created_at=at,
                text=wording(rng, cat),
                category=cat.code,
                channel=str(rng.choice([c.value for c in CHANNELS], p=CHANNEL_P)),
                lon=lon,
                lat=lat,
                dispatched_at=dispatched,
                handled_at=handled,
                closed_at=closed,
                rework_count=int(rng.random() < (0.12 if cat.department in late else 0.04)),
                extension_hours=8.0 if rng.random() < 0.03 else 0.0,
                satisfaction=rng.choice(SATISFACTION, p=SATISFACTION_P),  # type: ignore[arg-type]
                result="已按要求处置完毕",
                external_ref=f"DEMO-{i + 1:06d}",
            )
        )
    return out


def open_cases(settings: Settings, db_session: Session, rng: np.random.Generator, n: int) -> int:
    """Today's cases through the real intake and loop, left at every stage."""
    cats = category_list(settings)
    points = grid_points(db_session, rng, n)
    made = 0
    for i in range(n):
        cat = cats[int(rng.integers(len(cats)))]
        lon, lat = points[i] if points else (None, None)
        body = IntakeBody(
            channel=rng.choice(CHANNELS, p=CHANNEL_P), text=wording(rng, cat), lon=lon, lat=lat,
            reporter_name=str(rng.choice(["张先生", "李女士", "王先生", "赵女士"])),
            reporter_phone=f"1{int(rng.integers(30, 90))}{int(rng.integers(10**7, 10**8))}",
            at=utcnow() - dt.timedelta(hours=float(rng.uniform(0.2, 60))),
        )  # fmt: skip
        result = service.intake(db_session=db_session, settings=settings, actor=None, body=body)
        case = result.case
        stage = rng.random()
        if case.status == "dispatched" and stage > 0.4:
            service.move(
                db_session=db_session,
                settings=settings,
                actor=None,
                case_id=case.id,
                action="accept",
            )
            if stage > 0.75:
                service.move(db_session=db_session, settings=settings, actor=None, case_id=case.id,
                             action="handle", data={"result": "已到现场处置"})  # fmt: skip
        made += 1
    return made


def build_ops(ctx: DemoContext) -> None:
    ops = get_ops_settings()
    with ctx.session() as s:
        items = history(ctx.settings, s, ctx.seed, ops.demo_cases, ops.demo_days)
        n = bulk_closed(s, ctx.settings, items)
    with ctx.session() as s:
        m = open_cases(
            ctx.settings, s, ctx.rng("ops-open"), max(12, min(200, ops.demo_cases // 250))
        )
    marker = ctx.data_dir / MARKER
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("the live trickle of demo reports runs in this data directory\n")
    ctx.console.print(f"ops: {n} closed cases of history, {m} open cases")


@job("ops.demo_trickle", max_attempts=1)
def demo_trickle(ctx: JobContext, **_: Any) -> dict[str, Any]:
    """A few new reports, only in a data directory the demo built."""
    settings = get_settings()
    if not (Path(settings.data_dir) / MARKER).exists():
        return {"skipped": "not a demo data directory"}
    ops = get_ops_settings()
    with session_scope(ctx.session_factory) as s:
        made = open_cases(settings, s, np.random.default_rng(), ops.trickle_per_run)
    return {"created": made}


PERIODIC = [PeriodicJob("ops.demo_trickle", dt.timedelta(minutes=1))]
