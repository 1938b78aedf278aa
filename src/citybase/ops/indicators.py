"""The loop's indicators (docs/ops.md gives each formula), in SQL: one GROUP BY.

Over a period [from, to] of city dates, the cases *due* in it (应结案: the due instant of
their time limit falls in the period) are the base:

    应结案数 due          = |S|,  S = cases with from ≤ due_day ≤ to
    结案数 closed          = |{c ∈ S : closed_day ≤ to}|
    按期结案数 on time     = |{c ∈ S : closed_day ≤ to and handled by the due instant}|
    结案率                 = 结案数 / 应结案数;   按期结案率 = 按期结案数 / 应结案数
    返工率                 = |{c ∈ S closed : rework_count > 0}| / 结案数
    延期率                 = |{c ∈ S : extension_count > 0}| / 应结案数
    满意率                 = |{c ∈ S closed : 满意 or 基本满意}| / |{c ∈ S closed : 回访过}|
    平均处置时长           = mean working hours dispatch → handled over c ∈ S closed
    立案数 registered      = cases registered (立案) in the period (by registered_day)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session

from citybase.db import utcnow
from citybase.errors import ValidationFailed
from citybase.hookspecs import LiveIndicator
from citybase.identity import service as identity_service
from citybase.ops.enums import Satisfaction
from citybase.ops.models import OpsCase
from citybase.ops.schemas import IndicatorRow

GROUPS = ("none", "department", "district", "street", "grid", "category", "month", "day")


def _key(group: str, day_column: Any) -> Any:
    if group == "none":
        return literal("all")
    if group == "month":
        return func.substr(day_column, 1, 7)
    if group == "day":
        return day_column
    column = {
        "department": OpsCase.department,
        "district": OpsCase.district_code,
        "street": OpsCase.street_code,
        "grid": OpsCase.grid_code,
        "category": OpsCase.category,
    }[group]
    return column


def _scan_columns(db_session: Session) -> tuple[Any, Any]:
    """The day columns to filter on. SQLite would walk the day index and fetch every row it
    names one by one — 6–7× slower than reading the table straight through for a period of
    months — so there the filter reads ``day || ''``, which no index serves. PostgreSQL's
    planner chooses for itself."""
    if db_session.get_bind().dialect.name == "sqlite":
        return OpsCase.due_day.concat(""), OpsCase.registered_day.concat("")
    return OpsCase.due_day, OpsCase.registered_day


def _ratio(part: int | float, whole: int | float) -> float | None:
    return round(part / whole, 4) if whole else None


def compute(
    *,
    db_session: Session,
    date_from: dt.date,
    date_to: dt.date,
    group: str = "none",
    department: str | None = None,
) -> list[IndicatorRow]:
    if group not in GROUPS:
        raise ValidationFailed(f"group: give one of {', '.join(GROUPS)}.", field="group")
    if date_to < date_from:
        raise ValidationFailed("to: the period ends before it starts.", field="to")
    lo, hi = date_from.isoformat(), date_to.isoformat()
    due_day, registered_day = _scan_columns(db_session)
    closed = and_(OpsCase.closed_day.is_not(None), OpsCase.closed_day <= hi)
    happy = [Satisfaction.satisfied.value, Satisfaction.basically.value]

    in_due = and_(due_day >= lo, due_day <= hi)
    in_reg = and_(registered_day >= lo, registered_day <= hi)
    where_department = [OpsCase.department == department] if department else []

    def count(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0)).cast(Integer)

    def figures(due: Any) -> list[Any]:
        done = and_(due, closed)
        return [
            count(due).label("due"),
            count(done).label("closed"),
            count(and_(done, OpsCase.on_time.is_(True))).label("on_time"),
            count(and_(done, OpsCase.rework_count > 0)).label("rework"),
            count(and_(due, OpsCase.extension_count > 0)).label("extended"),
            count(and_(done, OpsCase.satisfaction.in_(happy))).label("happy"),
            count(and_(done, OpsCase.satisfaction.is_not(None))).label("asked"),
            func.avg(case((done, OpsCase.handling_hours), else_=None)).label("hours"),
        ]

    registered: dict[Any, int]
    if group in ("month", "day"):  # due and registration dates group apart: two scans
        key = _key(group, OpsCase.due_day).label("key")
        stmt = select(key, *figures(true())).where(in_due, *where_department).group_by(key)
        rows = {r.key: dict(r._mapping) for r in db_session.execute(stmt)}
        rkey = _key(group, OpsCase.registered_day).label("key")
        rstmt = select(rkey, func.count()).where(in_reg, *where_department).group_by(rkey)
        registered = {k: int(n) for k, n in db_session.execute(rstmt)}
    else:  # one scan over the cases due or registered in the period
        key = _key(group, OpsCase.due_day).label("key")
        stmt = (
            select(key, count(in_reg).label("registered"), *figures(in_due))
            .where(or_(in_due, in_reg), *where_department)
            .group_by(key)
        )
        rows = {r.key: dict(r._mapping) for r in db_session.execute(stmt)}
        registered = {k: int(r["registered"] or 0) for k, r in rows.items()}
    out = []
    for k in sorted(set(rows) | set(registered), key=lambda x: (x is None, str(x))):
        r = rows.get(k) or {}
        due, done = int(r.get("due") or 0), int(r.get("closed") or 0)
        hours = r.get("hours")
        out.append(
            IndicatorRow(
                key=None if k is None else str(k),
                registered=int(registered.get(k) or 0),
                due=due,
                closed=done,
                closed_on_time=int(r.get("on_time") or 0),
                closure_rate=_ratio(done, due),
                on_time_rate=_ratio(int(r.get("on_time") or 0), due),
                rework_rate=_ratio(int(r.get("rework") or 0), done),
                extension_rate=_ratio(int(r.get("extended") or 0), due),
                satisfaction_rate=_ratio(int(r.get("happy") or 0), int(r.get("asked") or 0)),
                avg_handling_hours=round(float(hours), 2) if hours is not None else None,
            )
        )
    return out


COLUMNS = (
    ("key", "分组", "Group"),
    ("registered", "立案数", "Registered"),
    ("due", "应结案数", "Due"),
    ("closed", "结案数", "Closed"),
    ("closed_on_time", "按期结案数", "Closed on time"),
    ("closure_rate", "结案率", "Closure rate"),
    ("on_time_rate", "按期结案率", "On-time closure rate"),
    ("rework_rate", "返工率", "Rework rate"),
    ("extension_rate", "延期率", "Extension rate"),
    ("satisfaction_rate", "满意率", "Satisfaction rate"),
    ("avg_handling_hours", "平均处置时长（工作小时）", "Average handling (working hours)"),
)


def _live(indicator_id: str, value: float, unit: str, note: str) -> LiveIndicator:
    return LiveIndicator(
        indicator_id=indicator_id,
        value=round(value, 2),
        unit=unit,
        source="ops.indicators",
        measured_at=utcnow().isoformat(timespec="seconds"),
        note=note,
    )


def _count(db_session: Session, *where: Any) -> int:
    return int(db_session.scalar(select(func.count()).select_from(OpsCase).where(*where)) or 0)


def live_indicators(*, db_session: Session) -> list[LiveIndicator]:
    """办结率 / 按期结案率 of cases due in the last 90 days, share dispatched by rules,
    hotline response hours (received → dispatched), departments connected."""
    today = utcnow().date()
    since = utcnow() - dt.timedelta(days=90)
    rows = compute(db_session=db_session, date_from=today - dt.timedelta(days=90), date_to=today)
    out: list[LiveIndicator] = []
    if rows and rows[0].due:
        r = rows[0]
        note = f"cases due in the last 90 days: {r.due}"
        out.append(_live("event_completion_rate", 100 * (r.closure_rate or 0), "%", note))
        out.append(_live("event_ontime_rate", 100 * (r.on_time_rate or 0), "%", note))
    dispatched = _count(db_session, OpsCase.dispatched_at.is_not(None))
    if dispatched:
        by_rule = _count(
            db_session, OpsCase.dispatched_at.is_not(None), OpsCase.routed_by != "person"
        )
        note = f"of {dispatched} dispatched cases"
        out.append(_live("event_auto_dispatch_share", 100 * by_rule / dispatched, "%", note))
    hotline = db_session.execute(
        select(OpsCase.created_at, OpsCase.dispatched_at)
        .where(
            OpsCase.channel == "hotline",
            OpsCase.dispatched_at.is_not(None),
            OpsCase.created_at >= since,
        )
        .limit(200_000)
    ).all()
    spans = [(d - c).total_seconds() for c, d in hotline if d is not None]
    if spans:
        note = f"hotline cases dispatched in the last 90 days: {len(spans)}"
        out.append(_live("hotline_response_hours", sum(spans) / 3600 / len(spans), "h", note))
    departments = identity_service.list_departments(db_session=db_session)
    if departments and dispatched:
        serving = set(
            db_session.scalars(
                select(OpsCase.department).where(OpsCase.department.is_not(None)).distinct()
            )
        )
        share = len([d for d in departments if d.code in serving]) / len(departments)
        note = "departments that received cases"
        out.append(_live("ops_departments_connected_share", 100 * share, "%", note))
    return out
