"""Sensing on the dashboard: sensors online, alarms today and by kind, active alarms on the map.

Sensors belong to the city, not to one department's cases, so these widgets show the whole
city to every staff screen (a department's screen sees the same sensors as the centre's).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybase.hookspecs import DashboardScope, DashboardWidget
from citybase.sensing import models as m
from citybase.sensing.service import status_summary

ALARM_EVENTS = ("sensing.AlarmRaised", "sensing.AlarmRepeated", "sensing.AlarmCleared")
KIND_LABELS = {
    "threshold": ("超阈值", "Threshold"),
    "rate_of_change": ("变化过快", "Rate of change"),
    "out_of_range": ("超出量程（设备故障）", "Out of range (sensor fault)"),
    "no_data": ("数据中断", "No data"),
}


def _label(kind: str, locale: str) -> str:
    zh, en = KIND_LABELS.get(kind, (kind, kind))
    return en if locale == "en" else zh


def sensors_online(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    s = status_summary(db_session)
    note = (
        f"of {s['datastreams']} · {s['stale']} stale · {s['alarming']} alarming"
        if scope.locale == "en"
        else f"共 {s['datastreams']} 路 · 离线 {s['stale']} · 告警 {s['alarming']}"
    )
    return {"value": s["online"], "note": note}


def alarms_today(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    n = db_session.scalar(
        select(func.count()).select_from(m.Alarm).where(m.Alarm.raised_at >= scope.day_start)
    )
    return {"value": int(n or 0)}


def alarms_by_type(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    by_kind = status_summary(db_session)["active_alarms_by_kind"]
    items = [
        {"name": _label(kind, scope.locale), "value": int(n), "url": "/sensing/alarms"}
        for kind, n in sorted(by_kind.items(), key=lambda kv: -kv[1])
    ]
    return {"items": items}


def alarm_points(db_session: Session, scope: DashboardScope) -> dict[str, Any]:
    rows = db_session.execute(
        select(m.Alarm.id, m.Alarm.kind, m.Alarm.raised_at, m.Thing.name, m.Location.lon,
               m.Location.lat, m.Datastream.id)
        .join(m.Datastream, m.Datastream.id == m.Alarm.datastream_id)
        .join(m.Thing, m.Thing.id == m.Datastream.thing_id)
        .join(m.thing_location, m.thing_location.c.thing_id == m.Thing.id)
        .join(m.Location, m.Location.id == m.thing_location.c.location_id)
        .where(m.Alarm.state == "active", m.Location.lon.is_not(None))
        .order_by(m.Alarm.id.desc())
        .limit(2000)
    ).all()  # fmt: skip
    return {
        "points": [
            {
                "lon": lon,
                "lat": lat,
                "name": f"{thing} · {_label(kind, scope.locale)}",
                "at": raised.isoformat(),
                "url": f"/sensing/datastreams/{ds_id}",
            }
            for _id, kind, raised, thing, lon, lat, ds_id in rows
        ]
    }


def widgets() -> list[DashboardWidget]:
    return [
        DashboardWidget(key="sensing.sensors_online", title_zh="在线传感器",
                        title_en="Sensors online", kind="number", data=sensors_online,
                        unit_zh="路", unit_en="streams", url="/sensing", refresh_seconds=60,
                        refresh_on=ALARM_EVENTS),
        DashboardWidget(key="sensing.alarms_today", title_zh="今日告警", title_en="Alarms today",
                        kind="number", data=alarms_today, unit_zh="次", unit_en="alarms",
                        url="/sensing/alarms", refresh_on=("sensing.AlarmRaised",)),
        DashboardWidget(key="sensing.alarms_by_type", title_zh="在办告警（按类型）",
                        title_en="Active alarms by type", kind="bar", data=alarms_by_type,
                        url="/sensing/alarms", refresh_on=ALARM_EVENTS),
        DashboardWidget(key="sensing.alarm_points", title_zh="告警点位",
                        title_en="Alarms on the map", kind="map_layer", data=alarm_points,
                        refresh_on=ALARM_EVENTS),
    ]  # fmt: skip
