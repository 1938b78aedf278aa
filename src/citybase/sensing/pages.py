"""Sensing pages: the sensor map with status, a datastream's chart, the alarm list.

Offline only: the map and chart are inline SVG drawn here from the stored coordinates and
rollups; no tiles, no chart library.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from citybase.identity.deps import CurrentUser, SessionDep
from citybase.sensing import models as m
from citybase.sensing.alarms import admin
from citybase.sensing.service import datastream_status, status_summary
from citybase.sensing.store import GRAINS, now_ms, rollups
from citybase.web.templating import render

router = APIRouter(include_in_schema=False)
COLOURS = {"online": "#2e7d32", "stale": "#9e9e9e", "alarming": "#c62828"}
W, H = 720, 420


def _points(db_session: Any) -> list[dict[str, Any]]:
    status = datastream_status(db_session)
    rows = db_session.execute(
        select(m.Datastream, m.Thing.name, m.Location.lon, m.Location.lat)
        .join(m.Thing, m.Thing.id == m.Datastream.thing_id)
        .outerjoin(m.thing_location, m.thing_location.c.thing_id == m.Thing.id)
        .outerjoin(m.Location, m.Location.id == m.thing_location.c.location_id)
        .order_by(m.Datastream.id)
    ).all()
    out = []
    for ds, thing, lon, lat in rows:
        out.append(
            {
                "id": ds.id,
                "name": ds.name,
                "thing": thing,
                "lon": lon,
                "lat": lat,
                "status": status.get(ds.id, "stale"),
                "last": ds.last_value,
            }
        )
    return out


def _project(points: list[dict[str, Any]]) -> None:
    located = [p for p in points if p["lon"] is not None]
    if not located:
        return
    lons = [p["lon"] for p in located]
    lats = [p["lat"] for p in located]
    x0, x1 = min(lons), max(lons)
    y0, y1 = min(lats), max(lats)
    sx = (W - 40) / ((x1 - x0) or 1)
    sy = (H - 40) / ((y1 - y0) or 1)
    for p in located:
        p["x"] = round(20 + (p["lon"] - x0) * sx, 1)
        p["y"] = round(H - 20 - (p["lat"] - y0) * sy, 1)
        p["colour"] = COLOURS[p["status"]]


@router.get("/sensing")
def map_page(request: Request, user: CurrentUser, db_session: SessionDep) -> Response:
    points = _points(db_session)
    _project(points)
    alarms = admin.list_alarms(db_session, state="active", limit=50)
    return render(
        request,
        "sensing/map.html",
        {
            "points": points,
            "summary": status_summary(db_session),
            "alarms": alarms,
            "width": W,
            "height": H,
        },
    )


@router.get("/sensing/datastreams/{ds_id}")
def chart_page(
    request: Request,
    ds_id: int,
    user: CurrentUser,
    db_session: SessionDep,
    days: Annotated[int, Query(ge=1, le=400)] = 7,
    grain: Annotated[str, Query(pattern="^(minute|hour|day)$")] = "hour",
) -> Response:
    ds = db_session.get(m.Datastream, ds_id)
    if ds is None:
        from citybase.errors import NotFound

        raise NotFound(f"Datastream {ds_id} does not exist.", field="ds_id")
    end = now_ms()
    start = end - days * GRAINS["day"]
    buckets = rollups(db_session, datastream_id=ds_id, grain=grain, start_ms=start, end_ms=end)
    chart = _chart(buckets, start, end)
    return render(
        request,
        "sensing/chart.html",
        {
            "ds": ds,
            "days": days,
            "grain": grain,
            "chart": chart,
            "buckets": buckets[-50:],
            "width": W,
            "height": H,
            "fmt": lambda ms: dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%m-%d %H:%M"),
        },
    )


def _chart(buckets: list[dict[str, Any]], start: int, end: int) -> dict[str, str]:
    if not buckets:
        return {"mean": "", "band": "", "low": "", "high": ""}
    lo = min(b["min"] for b in buckets)
    hi = max(b["max"] for b in buckets)
    span = (hi - lo) or 1.0

    def xy(ms: int, v: float) -> str:
        x = 40 + (ms - start) / (end - start) * (W - 60)
        y = H - 30 - (v - lo) / span * (H - 60)
        return f"{x:.1f},{y:.1f}"

    mean = " ".join(xy(b["bucket_ms"], b["mean"]) for b in buckets)
    top = [xy(b["bucket_ms"], b["max"]) for b in buckets]
    bottom = [xy(b["bucket_ms"], b["min"]) for b in reversed(buckets)]
    return {"mean": mean, "band": " ".join(top + bottom), "low": f"{lo:g}", "high": f"{hi:g}"}


@router.get("/sensing/alarms")
def alarms_page(
    request: Request,
    user: CurrentUser,
    db_session: SessionDep,
    state: Annotated[str | None, Query(pattern="^(active|cleared)$")] = None,
) -> Response:
    alarms = admin.list_alarms(db_session, state=state, limit=200)
    return render(request, "sensing/alarms.html", {"alarms": alarms, "state": state})
