"""一网统管 on the dashboard: the tiles, trends, rankings and map layers of city events.

Each function is a widget's ``data(db_session, scope)`` (docs/dashboard.md): counted in SQL
over ``ops_case``, scoped to the viewer's department (cases dispatched to it) and area
(district, street or grid code prefix), never returning personal data (no reporter, no text).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from citybase.hookspecs import DashboardScope, DashboardWidget
from citybase.ops.enums import OPEN_STATES
from citybase.ops.models import OpsCase
from citybase.ops.taxonomy import categories
from citybase.settings import get_settings

CLOSURE_TARGET = 0.95  # 办结率 the cities in the issue report as their target
ON_TIME_TARGET = 0.80  # 按期结案率
POINTS_MAX = 2000
CASE_EVENTS = ("ops.CaseCreated", "ops.CaseTransitioned", "ops.CaseClosed")


def _scoped(stmt: Any, scope: DashboardScope) -> Any:
    if scope.department_code:
        stmt = stmt.where(OpsCase.department == scope.department_code)
    if scope.area_code:
        code = scope.area_code
        stmt = stmt.where(
            or_(
                OpsCase.district_code == code,
                OpsCase.street_code == code,
                OpsCase.grid_code == code,
            )
        )
    return stmt.where(OpsCase.merged_into.is_(None))


def _count(db_session: Session, scope: DashboardScope, *conditions: Any) -> int:
    stmt = _scoped(select(func.count()).select_from(OpsCase), scope).where(*conditions)
    return int(db_session.scalar(stmt) or 0)


def intake_today(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    return {"value": _count(db_session, scope, OpsCase.created_at >= scope.day_start)}


def cases_open(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    return {"value": _count(db_session, scope, OpsCase.status.in_(OPEN_STATES))}


def cases_overdue(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    overdue = _count(
        db_session,
        scope,
        OpsCase.status.in_(OPEN_STATES),
        OpsCase.due_at.is_not(None),
        OpsCase.due_at < scope.now,
        OpsCase.sla_paused_at.is_(None),
    )
    return {"value": overdue}


def _rates(db_session: Session, scope: DashboardScope, days: int = 30) -> tuple[int, int, int]:
    """Cases due in the last ``days`` city days, closed, and closed on time (docs/ops.md)."""
    lo = (scope.today - dt.timedelta(days=days - 1)).isoformat()
    hi = scope.today.isoformat()
    stmt = _scoped(
        select(
            func.count(),
            func.sum(case((OpsCase.closed_at.is_not(None), 1), else_=0)),
            func.sum(case((OpsCase.on_time.is_(True), 1), else_=0)),
        ).select_from(OpsCase),
        scope,
    ).where(OpsCase.due_day >= lo, OpsCase.due_day <= hi)
    due, closed, on_time = db_session.execute(stmt).one()
    return int(due or 0), int(closed or 0), int(on_time or 0)


def closure_rate(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    due, closed, _ = _rates(db_session, scope)
    return {
        "value": round(closed / due, 4) if due else None,
        "target": CLOSURE_TARGET,
        "note": f"近30日应结案 {due} 件" if scope.locale != "en" else f"{due} due in 30 days",
    }


def ontime_rate(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    due, _, on_time = _rates(db_session, scope)
    return {
        "value": round(on_time / due, 4) if due else None,
        "target": ON_TIME_TARGET,
        "note": f"近30日应结案 {due} 件" if scope.locale != "en" else f"{due} due in 30 days",
    }


def intake_trend(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    days = [(scope.today - dt.timedelta(days=n)).isoformat() for n in range(29, -1, -1)]
    registered = dict(
        db_session.execute(
            _scoped(select(OpsCase.registered_day, func.count()).select_from(OpsCase), scope)
            .where(OpsCase.registered_day >= days[0])
            .group_by(OpsCase.registered_day)
        ).all()
    )
    closed = dict(
        db_session.execute(
            _scoped(select(OpsCase.closed_day, func.count()).select_from(OpsCase), scope)
            .where(OpsCase.closed_day >= days[0])
            .group_by(OpsCase.closed_day)
        ).all()
    )
    en = scope.locale == "en"
    return {
        "x": days,
        "series": [
            {
                "name": "Registered" if en else "立案",
                "values": [registered.get(d, 0) for d in days],
            },
            {"name": "Closed" if en else "结案", "values": [closed.get(d, 0) for d in days]},
        ],
    }


def _category_names(locale: str) -> dict[str, str]:
    cats = categories(get_settings())
    return {c.code: (c.name_en if locale == "en" else c.name_zh) for c in cats.values()}


def top_categories(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    since = scope.now - dt.timedelta(days=1)
    rows = db_session.execute(
        _scoped(select(OpsCase.category, func.count()).select_from(OpsCase), scope)
        .where(OpsCase.created_at >= since, OpsCase.category.is_not(None))
        .group_by(OpsCase.category)
        .order_by(func.count().desc())
        .limit(10)
    ).all()
    names = _category_names(scope.locale)
    return {
        "items": [
            {"name": names.get(code, code), "value": n, "url": f"/ops/queue?category={code}"}
            for code, n in rows
        ]
    }


def department_ranking(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    """红黑榜: 按期结案率 over the last 30 days by department, best first."""
    lo = (scope.today - dt.timedelta(days=29)).isoformat()
    rows = db_session.execute(
        _scoped(
            select(
                OpsCase.department,
                func.count(),
                func.sum(case((OpsCase.on_time.is_(True), 1), else_=0)),
            ).select_from(OpsCase),
            scope,
        )
        .where(OpsCase.due_day >= lo, OpsCase.due_day <= scope.today.isoformat())
        .where(OpsCase.department.is_not(None))
        .group_by(OpsCase.department)
    ).all()
    from citybase.ops.channels import department_names

    names = department_names(db_session, scope.locale)
    items = [
        {
            "name": names.get(dept, dept),
            "value": round(int(on_time or 0) / int(due), 4),
            "url": f"/ops/queue?department={dept}",
        }
        for dept, due, on_time in rows
        if due
    ]
    return {"items": sorted(items, key=lambda i: -i["value"])[:10]}


def case_points(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    since = scope.now - dt.timedelta(days=1)
    rows = db_session.execute(
        _scoped(
            select(OpsCase.id, OpsCase.category, OpsCase.lon, OpsCase.lat, OpsCase.created_at),
            scope,
        )
        .where(
            OpsCase.created_at >= since,
            OpsCase.status.in_(OPEN_STATES),
            OpsCase.lon.is_not(None),
            OpsCase.lat.is_not(None),
        )
        .order_by(OpsCase.id.desc())
        .limit(POINTS_MAX)
    ).all()
    names = _category_names(scope.locale)
    return {
        "points": [
            {
                "lon": lon,
                "lat": lat,
                "name": f"#{case_id} {names.get(cat or '', cat or '')}",
                "at": at.isoformat(),
                "url": f"/ops/cases/{case_id}",
            }
            for case_id, cat, lon, lat, at in rows
        ]
    }


def case_heat(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    since = scope.now - dt.timedelta(days=1)
    rows = db_session.execute(
        _scoped(select(OpsCase.grid_code, func.count()).select_from(OpsCase), scope)
        .where(OpsCase.created_at >= since, OpsCase.grid_code.is_not(None))
        .group_by(OpsCase.grid_code)
    ).all()
    return {"heat": {grid: int(n) for grid, n in rows}}


def widgets() -> list[DashboardWidget]:
    def w(key: str, zh: str, en: str, kind: str, data: Any, **more: Any) -> DashboardWidget:
        return DashboardWidget(
            key=f"ops.{key}",
            title_zh=zh,
            title_en=en,
            kind=kind,
            data=data,
            refresh_on=more.pop("refresh_on", CASE_EVENTS),
            **more,
        )

    return [
        w("intake_today", "今日受理", "Cases received today", "number", intake_today,
          unit_zh="件", unit_en="cases", url="/ops/queue"),
        w("cases_open", "在办案件", "Open cases", "number", cases_open,
          unit_zh="件", unit_en="cases", url="/ops/queue"),
        w("cases_overdue", "超期案件", "Overdue cases", "number", cases_overdue,
          unit_zh="件", unit_en="cases", url="/ops/queue?overdue=1",
          refresh_on=(*CASE_EVENTS, "workflow.DeadlineOverdue"), refresh_seconds=300),
        w("closure_rate", "结案率", "Closure rate", "number", closure_rate,
          url="/ops/indicators"),
        w("ontime_rate", "按期结案率", "On-time closure rate", "number", ontime_rate,
          url="/ops/indicators"),
        w("intake_trend", "近30日立案与结案", "Registered and closed, 30 days", "trend",
          intake_trend, url="/ops/indicators"),
        w("top_categories", "24小时高发类别", "Top categories, 24 h", "bar", top_categories,
          refresh_on=("ops.CaseCreated",)),
        w("department_ranking", "部门按期结案率红黑榜", "Departments by on-time closure",
          "bar", department_ranking, refresh_on=("ops.CaseClosed",)),
        w("case_points", "24小时在办案件", "Open cases, 24 h", "map_layer", case_points),
        w("case_heat", "网格案件热力", "Cases by grid, 24 h", "map_layer", case_heat,
          refresh_on=("ops.CaseCreated",)),
    ]  # fmt: skip
