"""Historical cases in bulk (import of a city's case history, the demo's six months).

Closed cases are written as case and report rows in batches, with their time limit, on-time
verdict and working hours computed on the calendar exactly as the loop computes them; their
workflow instance is made only when someone acts on one again (``flow.instance_of``), so a
million rows of history cost no million workflow rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from citybase.errors import ValidationFailed
from citybase.geo import service as geo_service
from citybase.ops import sla
from citybase.ops.enums import Channel, Satisfaction
from citybase.ops.models import OpsCase, OpsReport
from citybase.ops.taxonomy import categories
from citybase.settings import Settings

BATCH = 5_000
COLUMNS = [c.key for c in OpsCase.__table__.columns if c.key != "id"]


@dataclass
class HistoricalCase:
    created_at: dt.datetime
    text: str
    category: str
    channel: str = Channel.import_.value
    department: str | None = None
    lon: float | None = None
    lat: float | None = None
    dispatched_at: dt.datetime | None = None
    handled_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    rework_count: int = 0
    extension_hours: float = 0.0
    satisfaction: str | None = None
    result: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    external_ref: str = ""


def check(item: HistoricalCase, settings: Settings, row: int) -> None:
    where = f"row {row}"
    if item.category not in categories(settings):
        raise ValidationFailed(
            f"{where}: category: unknown category '{item.category}'.", field="category"
        )
    if item.closed_at is None or item.handled_at is None:
        raise ValidationFailed(
            f"{where}: history holds closed cases; give handled_at and closed_at.",
            field="closed_at",
        )
    start = item.dispatched_at or item.created_at
    if not (item.created_at <= start <= item.handled_at <= item.closed_at):
        raise ValidationFailed(
            f"{where}: times must run created ≤ dispatched ≤ handled ≤ closed.", field="closed_at"
        )
    if item.satisfaction is not None and item.satisfaction not in {s.value for s in Satisfaction}:
        raise ValidationFailed(
            f"{where}: satisfaction: '{item.satisfaction}' is not known.", field="satisfaction"
        )
    if item.channel not in {c.value for c in Channel}:
        raise ValidationFailed(f"{where}: channel: '{item.channel}' is not known.", field="channel")


def _row(item: HistoricalCase, settings: Settings, place: Any) -> dict[str, Any]:
    cat = categories(settings)[item.category]
    dispatched = item.dispatched_at or item.created_at
    case = OpsCase(
        status="closed", channel=item.channel, text=item.text, category=item.category,
        needs_category=False, candidates="[]", department=item.department or cat.department,
        routed_by="import", lon=item.lon, lat=item.lat, address="",
        district_code=place.district.code if place and place.district else None,
        street_code=place.street.code if place and place.street else None,
        grid_code=place.grid.code if place and place.grid else None,
        alarm_id=None, result=item.result, satisfaction=item.satisfaction, merged_into=None,
        rework_count=item.rework_count, extension_count=1 if item.extension_hours else 0,
        urge_count=0, supervise_count=0, created_at=item.created_at,
        registered_at=item.created_at, registered_day=sla.city_day(settings, item.created_at),
        dispatched_at=dispatched, handled_at=item.handled_at, closed_at=item.closed_at,
        closed_day=sla.city_day(settings, item.closed_at), updated_at=item.closed_at,
        sla_error="",
    )  # fmt: skip
    sla.start(case, cat, settings, dispatched)
    if item.extension_hours:
        sla.extend(case, settings, item.extension_hours)
    assert item.handled_at is not None
    sla.judge(case, settings, item.handled_at)
    return {k: getattr(case, k) for k in COLUMNS}


def _batches(items: Iterable[HistoricalCase]) -> Iterator[list[HistoricalCase]]:
    batch: list[HistoricalCase] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk_closed(db_session: Session, settings: Settings, items: Iterable[HistoricalCase]) -> int:
    """Write closed cases (validated first, batch by batch); returns how many."""
    total = 0
    for batch in _batches(items):
        for i, item in enumerate(batch):
            check(item, settings, total + i + 1)
        points = [(b.lon, b.lat) for b in batch if b.lon is not None and b.lat is not None]
        located = (
            iter(geo_service.locate_many(db_session=db_session, points=points))
            if points
            else iter(())
        )
        places = [next(located) if b.lon is not None and b.lat is not None else None for b in batch]
        rows = [_row(b, settings, p) for b, p in zip(batch, places, strict=True)]
        ids = list(
            db_session.scalars(
                insert(OpsCase).returning(OpsCase.id, sort_by_parameter_order=True), rows
            )
        )
        db_session.execute(
            insert(OpsReport),
            [
                {
                    "case_id": cid,
                    "channel": b.channel,
                    "text": b.text,
                    "reporter_name": b.reporter_name,
                    "reporter_phone": b.reporter_phone,
                    "reporter_user_id": None,
                    "anonymous": False,
                    "lon": b.lon,
                    "lat": b.lat,
                    "address": "",
                    "external_ref": b.external_ref,
                    "idempotency_key": None,
                    "created_by": "import",
                    "created_at": b.created_at,
                }
                for cid, b in zip(ids, batch, strict=True)
            ],
        )
        total += len(batch)
    return total
