"""The city map as server-side SVG: no tile server, no CDN, no JavaScript.

Equirectangular projection with a cos(latitude) correction at the map's middle latitude,
so shapes keep their proportions at city scale. Each district gets a distinct colour; its
grids are drawn in that colour, street outlines thicker than grid edges and district
outlines thickest. Each grid is one ``<path class="grid">`` with a ``<title>`` and a link
to its detail page. The base map is built once per state of the areas (it is cached on the
spatial index) and the located grid is drawn on top as an overlay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from markupsafe import Markup, escape
from shapely.geometry.base import BaseGeometry

from citybase.geo.enums import Level
from citybase.geo.index import SpatialIndex

WIDTH = 960
MAX_HEIGHT = 720
PAD = 10
SIMPLIFY_PX = 0.5
# Twenty qualitative colours (Tableau 20 order: strong hues first, then their light pairs).
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
    "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)  # fmt: skip


@dataclass(frozen=True)
class LegendEntry:
    code: str
    name: str
    colour: str


@dataclass(frozen=True)
class MapView:
    svg: Markup
    legend: list[LegendEntry]
    grids: int


class Projection:
    """lon/lat → SVG pixels; north up, x scaled by cos(mid latitude)."""

    def __init__(
        self,
        bounds: tuple[float, float, float, float],
        width: int = WIDTH,
        max_height: int = MAX_HEIGHT,
    ) -> None:
        minx, miny, maxx, maxy = bounds
        self.minx, self.maxy = minx, maxy
        self.k = math.cos(math.radians((miny + maxy) / 2))
        span_x = max((maxx - minx) * self.k, 1e-9)
        span_y = max(maxy - miny, 1e-9)
        self.scale = min((width - 2 * PAD) / span_x, (max_height - 2 * PAD) / span_y)
        self.width = round(span_x * self.scale + 2 * PAD)
        self.height = round(span_y * self.scale + 2 * PAD)

    def xy(self, coords: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        x = (coords[:, 0] - self.minx) * self.k * self.scale + PAD
        y = (self.maxy - coords[:, 1]) * self.scale + PAD
        return np.column_stack([x, y])

    def path(self, geom: BaseGeometry) -> str:
        """SVG path data: one subpath per ring (holes render through fill-rule evenodd)."""
        simple = shapely.simplify(geom, SIMPLIFY_PX / self.scale, preserve_topology=True)
        parts: list[str] = []
        polygons = getattr(simple, "geoms", [simple])
        for poly in polygons:
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            for ring in (poly.exterior, *poly.interiors):
                pts = self.xy(np.asarray(ring.coords)[:-1])
                body = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
                parts.append(f"M{body}Z")
        return "".join(parts)


def _title(name: str, code: str) -> Markup:
    return escape(f"{name} ({code})")


def _district_of(index: SpatialIndex, i: int) -> int | None:
    return index.chain(i).get(Level.district)


def _colours(index: SpatialIndex) -> dict[int, str]:
    districts = sorted(
        (i for i, a in enumerate(index.areas) if a.level is Level.district),
        key=lambda i: index.areas[i].code,
    )
    return {d: PALETTE[n % len(PALETTE)] for n, d in enumerate(districts)}


def _members(index: SpatialIndex, within: str | None) -> list[int]:
    if within is None:
        return list(range(len(index.areas)))
    if within not in index.by_code:
        return []
    root = index.by_code[within]
    return [i for i in range(len(index.areas)) if root in index.chain(i).values()]


def _base_layers(index: SpatialIndex, proj: Projection, members: list[int]) -> tuple[str, int]:
    colours = _colours(index)
    layers: dict[Level, list[str]] = {lvl: [] for lvl in Level}
    borders: list[str] = []
    for i in sorted(members, key=lambda i: index.areas[i].code):
        area = index.areas[i]
        d = proj.path(index.shapes[i])
        if not d:
            continue
        district = _district_of(index, i)
        colour = colours.get(district, "#829ab1") if district is not None else "#829ab1"
        href = f"/geo/areas/{escape(area.code)}"
        title = _title(area.name, area.code)
        code = escape(area.code)
        if area.level is Level.district:
            layers[Level.district].append(
                f'<a href="{href}"><path class="district" data-code="{code}" d="{d}" '
                f'fill="{colour}" fill-opacity="0.18" stroke="none"><title>{title}</title>'
                "</path></a>"
            )
            borders.append(
                f'<path d="{d}" fill="none" stroke="#102a43" stroke-width="2.6" '
                'stroke-linejoin="round" pointer-events="none"/>'
            )
        elif area.level is Level.street:
            layers[Level.street].append(
                f'<a href="{href}"><path class="street" data-code="{code}" d="{d}" '
                f'fill="none" stroke="#334e68" stroke-width="1.6" stroke-linejoin="round" '
                f'pointer-events="stroke"><title>{title}</title></path></a>'
            )
        else:
            layers[Level.grid].append(
                f'<a href="{href}"><path class="grid" data-code="{code}" d="{d}" '
                f'fill="{colour}" fill-opacity="0.45" stroke="#ffffff" stroke-width="0.6">'
                f"<title>{title}</title></path></a>"
            )
    body = (
        f'<g class="districts">{"".join(layers[Level.district])}</g>'
        f'<g class="grids">{"".join(layers[Level.grid])}</g>'
        f'<g class="streets">{"".join(layers[Level.street])}</g>'
        f'<g class="district-borders">{"".join(borders)}</g>'
    )
    return body, len(layers[Level.grid])


def render_map(
    index: SpatialIndex,
    *,
    within: str | None = None,
    highlight: str | None = None,
    outline: str | None = None,
    point: tuple[float, float] | None = None,
    label: str = "",
    width: int = WIDTH,
    max_height: int = MAX_HEIGHT,
) -> MapView | None:
    """The map of every area, or of ``within`` and what lies inside it; None if empty.

    ``highlight`` (an area code) is drawn on top in yellow with a red outline, ``outline``
    as a red outline only (an area among its neighbours); ``point`` is drawn as a marker.
    """
    members = _members(index, within)
    if not members:
        return None
    cache_key = f"svg-base:{within}:{width}x{max_height}"
    cached = index.extras.get(cache_key)
    if cached is None:
        minx, miny, maxx, maxy = (float(b) for b in shapely.total_bounds(index.shapes[members]))
        proj = Projection((minx, miny, maxx, maxy), width, max_height)
        body, grids = _base_layers(index, proj, members)
        cached = (proj, body, grids)
        index.extras[cache_key] = cached
    proj, body, grids = cached
    overlay = ""
    if highlight is not None and highlight in index.by_code:
        d = proj.path(index.shapes[index.by_code[highlight]])
        overlay += (
            f'<path class="hit" data-code="{escape(highlight)}" d="{d}" fill="#facc15" '
            'fill-opacity="0.75" stroke="#b42318" stroke-width="3" pointer-events="none"/>'
        )
    if outline is not None and outline in index.by_code:
        d = proj.path(index.shapes[index.by_code[outline]])
        overlay += (
            f'<path class="focus" data-code="{escape(outline)}" d="{d}" fill="none" '
            'stroke="#b42318" stroke-width="3.5" stroke-linejoin="round" pointer-events="none"/>'
        )
    if point is not None:
        x, y = proj.xy(np.asarray([point], dtype=float))[0]
        overlay += (
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#b42318" '
            'stroke="#ffffff" stroke-width="2" pointer-events="none"/>'
        )
    colours = _colours(index)
    shown = set(members)
    legend = [
        LegendEntry(index.areas[i].code, index.areas[i].name, c)
        for i, c in sorted(colours.items(), key=lambda kv: index.areas[kv[0]].code)
        if i in shown
    ]
    # Every name, code and label above went through escape(); the rest is our own markup.
    svg = Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {proj.width} {proj.height}" '
        f'width="100%" style="max-width:{proj.width}px" role="img" '
        f'aria-label="{escape(label)}" fill-rule="evenodd" data-testid="geo-map">'
        f"{body}{overlay}</svg>"
    )
    return MapView(svg=svg, legend=legend, grids=grids)
