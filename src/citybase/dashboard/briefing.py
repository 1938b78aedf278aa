"""The daily briefing (日报): one layout's figures of the day and its map, as HTML, PDF, PNG.

Built from the same widget data as the screen (so it shows what the viewer may see), laid
out for A4 landscape: number tiles, rankings and the latest BTE triangle as tables, the map
as SVG drawn from the map widget's GeoJSON with its layers' points and heat. PDF through
WeasyPrint, PNG by rasterising the PDF's first page with PDFium (pypdfium2).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from citybase.dashboard import service
from citybase.dashboard.layouts import Layout
from citybase.errors import ServiceUnavailable
from citybase.identity.models import User
from citybase.settings import Settings
from citybase.web.i18n import translate
from citybase.web.templating import environment

MAP_W, MAP_H = 520.0, 420.0
HEAT = ["#eef4fb", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]


@dataclass
class Report:
    layout: Layout
    locale: str
    today: str
    generated_at: str
    department: str | None
    area: str | None
    numbers: list[dict[str, Any]] = field(default_factory=list)
    bars: list[dict[str, Any]] = field(default_factory=list)
    trends: list[dict[str, Any]] = field(default_factory=list)
    triangle: dict[str, Any] | None = None
    tickers: list[dict[str, Any]] = field(default_factory=list)
    map_svg: Markup | None = None
    errors: list[str] = field(default_factory=list)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for poly in geometry["coordinates"] for ring in poly]


def map_svg(
    geojson: dict[str, dict[str, Any]], heat: dict[str, float], points: list[dict[str, Any]]
) -> Markup | None:
    """Grids shaded by ``heat``, streets and districts outlined, ``points`` as dots."""
    rings = [
        (level, f.get("id") or f["properties"].get("code"), ring)
        for level in ("grid", "street", "district")
        for f in geojson.get(level, {}).get("features", [])
        for ring in _rings(f["geometry"])
    ]
    if not rings:
        return None
    lons = [p[0] for _, _, r in rings for p in r]
    lats = [p[1] for _, _, r in rings for p in r]
    kx = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * kx, 1e-9)
    span_y = max(max(lats) - min(lats), 1e-9)
    scale = min(MAP_W / span_x, MAP_H / span_y)

    def xy(lon: float, lat: float) -> str:
        return f"{(lon - min(lons)) * kx * scale:.1f},{(max(lats) - lat) * scale:.1f}"

    top = max(heat.values(), default=0) or 1
    body = []
    for level, code, ring in rings:
        d = "M" + " L".join(xy(p[0], p[1]) for p in ring) + " Z"
        if level == "grid":
            value = heat.get(str(code), 0)
            shade = HEAT[min(len(HEAT) - 1, int(value / top * (len(HEAT) - 1)))]
            body.append(f'<path d="{d}" fill="{shade}" stroke="#9aa9bb" stroke-width="0.3"/>')
        else:
            width = "1.6" if level == "district" else "0.7"
            body.append(f'<path d="{d}" fill="none" stroke="#1f3b5a" stroke-width="{width}"/>')
    for p in points[:2000]:
        x, y = xy(float(p["lon"]), float(p["lat"])).split(",")
        body.append(f'<circle cx="{x}" cy="{y}" r="2.2" fill="#d7301f" fill-opacity="0.8"/>')
    w, h = span_x * scale, span_y * scale
    size = f'width="105mm" height="{105 * h / w:.1f}mm"'  # A4: beside the figures
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" {size}>'
        f"{''.join(body)}</svg>"
    )
    return Markup(svg)  # noqa: S704 - numbers and fixed markup only, nothing from a user


def build(
    *, db_session: Session, settings: Settings, user: User, layout: Layout, locale: str
) -> Report:
    data = service.layout_data(
        db_session=db_session, settings=settings, user=user, layout=layout, locale=locale
    )
    report = Report(
        layout=layout,
        locale=locale,
        today=data["today"],
        generated_at=data["generated_at"][:16].replace("T", " ") + " UTC",
        department=data["department"],
        area=data["area"],
    )
    results = data["widgets"]
    for placement in layout.placements:
        w = placement.widget
        if w.key not in results:
            continue  # not for this viewer's role
        d = service.widget_definition(w, locale)
        got = results[w.key]
        if "error" in got:
            report.errors.append(f"{d['title']}: {got['error']}")
            continue
        value = got["data"]
        if w.shown_as == "figures":
            for name, figure in value.items():
                if isinstance(figure, int | float) and not isinstance(figure, bool):
                    report.numbers.append({**d, "title": f"{d['title']} · {name}", "value": figure})
        elif w.kind == "number":
            report.numbers.append({**d, **value})
        elif w.kind == "bar":
            report.bars.append({**d, "items": value["items"][:8]})
        elif w.kind == "trend":
            report.trends.append({**d, **value})
        elif w.kind == "triangle":
            report.triangle = {**d, **value}
        elif w.kind == "ticker":
            report.tickers.append({**d, "items": value["items"][:5]})
        elif w.kind == "map":
            heat: dict[str, float] = {}
            points: list[dict[str, Any]] = []
            for layer in placement.layers:
                got_layer = results.get(layer.key, {}).get("data") or {}
                for code, n in (got_layer.get("heat") or {}).items():
                    heat[code] = heat.get(code, 0) + float(n)
                points.extend(got_layer.get("points") or [])
            report.map_svg = map_svg(value["geojson"], heat, points)
    return report


def render_html(request: Request, report: Report) -> str:
    locale = report.locale

    def t(key: str, **kwargs: object) -> str:
        return translate(locale, key, **kwargs)

    return (
        environment()
        .get_template("dashboard/briefing.html")
        .render(request=request, report=report, t=t, locale=locale, escape=escape)
    )


def to_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on system libraries
        raise ServiceUnavailable(
            f"The briefing's PDF needs WeasyPrint and its system libraries (Pango): {exc}.",
            field="fmt",
        ) from None
    pdf = HTML(string=html).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def to_png(pdf: bytes, scale: float = 2.0) -> bytes:
    """The PDF's first page as a PNG (PDFium renders it; about 2200×1560 px at scale 2)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=scale).to_pil()
    finally:
        doc.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
