"""Sensing's periodic jobs: the no-data check (every minute) and retention (every 6 h)."""

from __future__ import annotations

from typing import Any

from citybase.db import session_scope
from citybase.jobs import JobContext, job
from citybase.sensing.alarms.engine import check_no_data
from citybase.sensing.config import sensing_settings
from citybase.sensing.store import apply_retention, now_ms


@job("sensing.check_no_data", max_attempts=1)
def no_data_job(ctx: JobContext) -> dict[str, Any]:
    with session_scope(ctx.session_factory, write=True) as db:
        raised = check_no_data(db, now_ms())
    return {"raised": raised}


@job("sensing.retention", max_attempts=1)
def retention_job(ctx: JobContext) -> dict[str, Any]:
    cfg = sensing_settings()
    with session_scope(ctx.session_factory, write=True) as db:
        return apply_retention(db, raw_days=cfg.retention_days, minute_days=cfg.minute_rollup_days)
