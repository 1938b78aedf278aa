"""Shared by the ops pages: form reading, errors for the page, and the city map with case
markers and the projection a click on it needs to give back lon/lat (static/ops.js)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from fastapi import Request
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqlalchemy.orm import Session

from citybase.errors import CitybaseError, PermissionDenied, ValidationFailed
from citybase.geo import service as geo_service
from citybase.geo.svg import MAX_HEIGHT, PAD, WIDTH, Projection, render_map
from citybase.identity.models import User
from citybase.ops import channels, service
from citybase.ops.schemas import CaseRead
from citybase.settings import Settings
from citybase.web.i18n import request_locale
from citybase.worktime import clock_for

HERE = Path(__file__).parent
STAFF_ROLES = frozenset(
    {"platform_admin", "dispatcher", "call_taker", "officer", "dept_admin", "grid_worker",
     "analyst"}
)  # fmt: skip


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def text(form: Any, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def number(form: Any, key: str) -> float | None:
    raw = text(form, key)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValidationFailed(f"{key}: '{raw}' is not a number.", field=key) from None


def error_of(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, CitybaseError):
        return {"message": exc.message, "field": exc.field, "status": exc.status}
    assert isinstance(exc, ValidationError)
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return {"message": f"{where}: {first['msg']}", "field": where, "status": 422}


async def upload(form: Any, key: str, limit: int) -> list[bytes]:
    """The non-empty files of field ``key`` (read up to ``limit`` + 1 bytes each, so the
    photo check can say 'too large' without reading a huge file whole)."""
    out: list[bytes] = []
    for item in form.getlist(key):
        if hasattr(item, "read"):
            content = await item.read(limit + 1)
            if content:
                out.append(content)
    return out


def require_staff(user: User) -> None:
    if user.role not in STAFF_ROLES:
        raise PermissionDenied("This page is for the city's staff; citizens use /ops/report.")


@dataclass(frozen=True)
class CityMap:
    svg: Markup
    minx: float
    maxy: float
    k: float
    scale: float
    pad: int


def city_map(
    db_session: Session,
    *,
    point: tuple[float, float] | None = None,
    markers: list[CaseRead] | None = None,
    spots: list[tuple[str, int, int]] | None = None,
    label: str = "",
) -> CityMap | None:
    """The geo domain's offline SVG map, with open cases (red when overdue) or hot spots
    (circles by open cases per grid) drawn on top."""
    index = geo_service.spatial_index(db_session=db_session)
    view = render_map(index, point=point, label=label)
    if view is None:
        return None
    bounds = tuple(float(b) for b in shapely.total_bounds(index.shapes))
    proj = Projection((bounds[0], bounds[1], bounds[2], bounds[3]), WIDTH, MAX_HEIGHT)
    extra: list[str] = []
    for case in markers or []:
        if case.lon is None or case.lat is None:
            continue
        x, y = proj.xy(np.asarray([(case.lon, case.lat)], dtype=float))[0]
        colour = "#b42318" if case.deadline_status == "overdue" else "#1d4ed8"
        extra.append(
            f'<a href="/ops/cases/{case.id}"><circle class="case-marker" data-case="{case.id}" '
            f'cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" stroke="#fff" stroke-width="2">'
            f"<title>#{case.id} {escape(case.category_name or '')} · "
            f"{escape(case.status_label)}</title></circle></a>"
        )
    top = max((n for _, n, _ in spots or []), default=1)
    for code, n, overdue in spots or []:
        if code not in index.by_code:
            continue
        c = index.shapes[index.by_code[code]].centroid
        x, y = proj.xy(np.asarray([(c.x, c.y)], dtype=float))[0]
        r = 5 + 20 * (n / top) ** 0.5
        extra.append(
            f'<circle class="hot-spot" data-grid="{escape(code)}" data-open="{n}" '
            f'cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#dc2626" fill-opacity="0.45" '
            f'stroke="#7f1d1d" pointer-events="visiblePainted"><title>{escape(code)}: {n} '
            f"open, {overdue} overdue</title></circle>"
        )
    svg = Markup(str(view.svg).replace("</svg>", "".join(extra) + "</svg>"))  # noqa: S704
    return CityMap(svg, proj.minx, proj.maxy, proj.k, proj.scale, PAD)


def area_names(db_session: Session, *codes: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for code in codes:
        if code:
            try:
                out[code] = geo_service.get_area(db_session=db_session, code=code).name
            except CitybaseError:
                out[code] = code
    return out


def category_options(settings: Settings, locale: str) -> list[tuple[str, str]]:
    return [
        (c.code, c.name_en if locale == "en" else c.name_zh)
        for c in service.category_list(settings)
    ]


def labels(request: Request) -> dict[str, Any]:
    """Helpers every ops template gets: state and move labels in the page's language."""
    settings, locale = settings_of(request), request_locale(request)
    tz = clock_for(settings).tz

    def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(tz).strftime(fmt)

    return {
        "local": local,
        "form_key": "page-" + secrets.token_urlsafe(18),
        "state_label": lambda s: channels.state_label(settings, s, locale),
        "move_label": lambda a: channels.move_label(settings, a, locale),
        "categories": category_options(settings, locale),
    }
