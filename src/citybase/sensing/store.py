"""The observation store: batch inserts, rollups kept current, retention.

One batch is one transaction: the observations, the rollup rows they change (an upsert per
touched (datastream, grain, bucket)), the datastreams' time span and latest value, and the
alarm rules' evaluation all commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from citybase.errors import NotFound, ValidationFailed
from citybase.sensing.models import Datastream, Observation, Rollup

GRAINS = {"minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
MAX_FUTURE_MS = 5 * 60_000  # a phenomenon time further ahead is a skewed clock


@dataclass(frozen=True)
class NewObservation:
    datastream_id: int
    phenomenon_ms: int
    result: Any
    phenomenon_end_ms: int | None = None
    result_time_ms: int | None = None
    result_quality: Any = None
    parameters: Any = None
    feature_id: int | None = None


def now_ms() -> int:
    return int(time.time() * 1000)


def parse_time(value: Any, field: str) -> tuple[int, int | None]:
    """An ISO 8601 instant or ``start/end`` interval → epoch ms (start, end or None)."""
    if not isinstance(value, str) or not value:
        raise ValidationFailed(
            f"{field} must be an ISO 8601 time such as 2026-12-08T10:00:00Z.", field=field
        )
    start_s, _, end_s = value.partition("/")
    try:
        start = _iso_ms(start_s)
        end = _iso_ms(end_s) if end_s else None
    except ValueError:
        raise ValidationFailed(
            f"{field}: {value!r} is not an ISO 8601 time (e.g. 2026-12-08T10:00:00Z).",
            field=field,
        ) from None
    if end is not None and end < start:
        raise ValidationFailed(f"{field}: the interval ends before it starts.", field=field)
    return start, end


def _iso_ms(text: str) -> int:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1000)


def _number(result: Any) -> float | None:
    if isinstance(result, bool):
        return None
    if isinstance(result, int | float):
        return float(result)
    return None


def insert_observations(
    db_session: Session, batch: Sequence[NewObservation], *, evaluate_alarms: bool = True
) -> list[int]:
    """Insert a batch; return the new ids in the batch's order."""
    if not batch:
        return []
    ds_ids = {o.datastream_id for o in batch}
    known = set(db_session.scalars(select(Datastream.id).where(Datastream.id.in_(ds_ids))))
    missing = sorted(ds_ids - known)
    if missing:
        raise NotFound(
            f"Datastream {missing[0]} does not exist (deleted?); its observations were not stored.",
            field="Datastream",
            code="unknown_datastream",
        )
    limit = now_ms() + MAX_FUTURE_MS
    rows: list[dict[str, Any]] = []
    for i, o in enumerate(batch):
        if o.phenomenon_ms > limit:
            raise ValidationFailed(
                f"phenomenonTime of observation {i + 1} is more than 5 minutes in the future "
                f"({o.phenomenon_ms} ms): check the device clock.",
                field="phenomenonTime",
                code="clock_skew",
            )
        number = _number(o.result)
        rows.append(
            {
                "datastream_id": o.datastream_id,
                "phenomenon_ms": o.phenomenon_ms,
                "phenomenon_end_ms": o.phenomenon_end_ms,
                "result_time_ms": o.result_time_ms,
                "result_number": number,
                "result_json": None
                if number is not None
                else json.dumps(o.result, ensure_ascii=False),
                "result_quality": None
                if o.result_quality is None
                else json.dumps(o.result_quality, ensure_ascii=False),
                "parameters": None
                if o.parameters is None
                else json.dumps(o.parameters, ensure_ascii=False),
                "feature_id": o.feature_id,
            }
        )
    table: Table = Observation.__table__  # type: ignore[assignment]
    conn = db_session.connection()
    if conn.dialect.name == "sqlite":
        # One executemany without RETURNING (SQLAlchemy would send RETURNING rows one by
        # one to keep their order). The transaction holds SQLite's write lock, so the new
        # INTEGER PRIMARY KEYs are exactly max(id)+1 … max(id)+n, in the batch's order.
        before = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        conn.execute(insert(table), rows)
        ids = list(range(before + 1, before + 1 + len(rows)))
    else:
        ids = list(
            conn.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            ).scalars()
        )
    _update_rollups(db_session, batch)
    _update_datastreams(db_session, batch)
    if evaluate_alarms:
        from citybase.sensing.alarms import engine

        engine.evaluate(db_session, batch)
    return ids


def _update_rollups(db_session: Session, batch: Iterable[NewObservation]) -> None:
    agg: dict[tuple[int, str, int], list[float]] = {}
    for o in batch:
        value = _number(o.result)
        if value is None:
            continue
        for grain, size in GRAINS.items():
            key = (o.datastream_id, grain, o.phenomenon_ms - o.phenomenon_ms % size)
            cur = agg.get(key)
            if cur is None:
                agg[key] = [1, value, value, value]
            else:
                cur[0] += 1
                cur[1] += value
                cur[2] = min(cur[2], value)
                cur[3] = max(cur[3], value)
    if not agg:
        return
    values = [
        {
            "datastream_id": d,
            "grain": g,
            "bucket_ms": b,
            "count": int(c[0]),
            "total": c[1],
            "minimum": c[2],
            "maximum": c[3],
        }
        for (d, g, b), c in agg.items()
    ]
    dialect = db_session.get_bind().dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(Rollup)
    stmt = ins.on_conflict_do_update(
        index_elements=["datastream_id", "grain", "bucket_ms"],
        set_={
            "count": Rollup.count + ins.excluded.count,
            "total": Rollup.total + ins.excluded.total,
            "minimum": func.min(Rollup.minimum, ins.excluded.minimum)
            if dialect == "sqlite"
            else func.least(Rollup.minimum, ins.excluded.minimum),
            "maximum": func.max(Rollup.maximum, ins.excluded.maximum)
            if dialect == "sqlite"
            else func.greatest(Rollup.maximum, ins.excluded.maximum),
        },
    )
    db_session.execute(stmt, values)


def _update_datastreams(db_session: Session, batch: Iterable[NewObservation]) -> None:
    spans: dict[int, list[Any]] = {}
    for o in batch:
        end = o.phenomenon_end_ms or o.phenomenon_ms
        s = spans.get(o.datastream_id)
        if s is None:
            spans[o.datastream_id] = [o.phenomenon_ms, end, end, _number(o.result)]
        else:
            s[0] = min(s[0], o.phenomenon_ms)
            s[1] = max(s[1], end)
            if end >= s[2]:
                s[2], s[3] = end, _number(o.result)
    received = now_ms()
    for ds_id, (start, end, _latest, value) in spans.items():
        ds = db_session.get(Datastream, ds_id)
        assert ds is not None
        ds.phenomenon_start_ms = min(start, ds.phenomenon_start_ms or start)
        if ds.phenomenon_end_ms is None or end >= ds.phenomenon_end_ms:
            ds.last_value = value
        ds.phenomenon_end_ms = max(end, ds.phenomenon_end_ms or end)
        ds.last_received_ms = received
    db_session.flush()


def rollups(
    db_session: Session, *, datastream_id: int, grain: str, start_ms: int, end_ms: int
) -> list[dict[str, Any]]:
    """Aggregates of one datastream per ``grain`` bucket in [start, end)."""
    if grain not in GRAINS:
        raise ValidationFailed(
            f"grain must be one of {', '.join(GRAINS)}, got {grain!r}.", field="grain"
        )
    if db_session.get(Datastream, datastream_id) is None:
        raise NotFound(f"Datastream {datastream_id} does not exist.", field="Datastream")
    rows = db_session.execute(
        select(Rollup.bucket_ms, Rollup.count, Rollup.total, Rollup.minimum, Rollup.maximum)
        .where(
            Rollup.datastream_id == datastream_id,
            Rollup.grain == grain,
            Rollup.bucket_ms >= start_ms - start_ms % GRAINS[grain],
            Rollup.bucket_ms < end_ms,
        )
        .order_by(Rollup.bucket_ms)
    )
    return [
        {"bucket_ms": b, "count": c, "mean": t / c, "min": lo, "max": hi}
        for b, c, t, lo, hi in rows
    ]


def series(
    db_session: Session, *, datastream_id: int, start_ms: int, end_ms: int
) -> tuple[list[int], list[float | None]]:
    """One datastream's raw (time, numeric result) pairs in [start, end), oldest first.

    Read through the driver's own cursor: for a day at 1 Hz (86,400 rows) building
    SQLAlchemy Row objects costs several times the query itself."""
    conn = db_session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (  # only the driver's placeholder is formatted in; values go as parameters
        "SELECT phenomenon_ms, result_number FROM sensing_observation "
        "WHERE datastream_id = ? AND phenomenon_ms >= ? AND phenomenon_ms < ? "
        "ORDER BY phenomenon_ms"
    ).replace("?", mark)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, (datastream_id, start_ms, end_ms))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return [r[0] for r in rows], [r[1] for r in rows]


def apply_retention(db_session: Session, *, raw_days: int, minute_days: int) -> dict[str, int]:
    """Delete raw observations older than ``raw_days`` and minute rollups older than
    ``minute_days``; hour and day rollups are kept (they are small)."""
    cut_raw = now_ms() - raw_days * GRAINS["day"]
    cut_min = now_ms() - minute_days * GRAINS["day"]
    raw = db_session.execute(delete(Observation).where(Observation.phenomenon_ms < cut_raw))
    mins = db_session.execute(
        delete(Rollup).where(Rollup.grain == "minute", Rollup.bucket_ms < cut_min)
    )
    db_session.execute(
        update(Datastream)
        .where(Datastream.phenomenon_start_ms < cut_raw)
        .values(phenomenon_start_ms=cut_raw)
    )
    return {
        "observations": getattr(raw, "rowcount", 0) or 0,
        "minute_rollups": getattr(mins, "rowcount", 0) or 0,
    }
