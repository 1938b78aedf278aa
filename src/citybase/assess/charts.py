"""Inline SVG charts (no JavaScript, no CDN): BTE triangle, element radar, barrel, trend, peers.

Used by the HTML pages and the PDF report alike. Every function returns an SVG string
whose text uses the CJK-capable font stack, so WeasyPrint embeds Noto Sans CJK.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

FONT = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Microsoft YaHei',sans-serif"
INK = "#1f2937"
MUTED = "#9ca3af"
ACCENT = "#1d4ed8"
WARN = "#dc2626"
PALE = "#dbeafe"


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" height="{height:g}" role="img" aria-label="{escape(label)}" '
        f'font-family="{FONT}" font-size="11">' + "".join(body) + "</svg>"
    )


def _text(
    x: float, y: float, s: str, anchor: str = "middle", size: int = 11, fill: str = INK
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}">{escape(s)}</text>'
    )


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


# BTE axes drawn as an oblique projection of three orthogonal axes: B up, T lower-left,
# E lower-right.
_DIRECTIONS = {
    "B": (0.0, -1.0),
    "T": (-math.cos(math.pi / 6), 0.5),
    "E": (math.cos(math.pi / 6), 0.5),
}


def triangle_svg(
    axes: dict[str, float | None],
    labels: dict[str, str],
    *,
    previous: dict[str, float | None] | None = None,
    previous_label: str = "",
    size: int = 320,
) -> str:
    """The BTE triangle on three axes; the dashed outer triangle is the perfect city (1,1,1)."""
    cx, cy, r = size / 2, size * 0.56, size * 0.36
    body: list[str] = []

    def point(axis: str, v: float) -> tuple[float, float]:
        dx, dy = _DIRECTIONS[axis]
        return cx + dx * r * v, cy + dy * r * v

    def polygon(vals: dict[str, float | None], style: str) -> str:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(a, vals[a] or 0.0) for a in "BTE"))
        return f'<polygon points="{pts}" {style}/>'

    for axis in "BTE":
        x, y = point(axis, 1.08)
        body.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="{MUTED}"/>')
        for tick in (0.25, 0.5, 0.75, 1.0):
            tx, ty = point(axis, tick)
            body.append(f'<circle cx="{tx:.1f}" cy="{ty:.1f}" r="1.6" fill="{MUTED}"/>')
    body.append(
        polygon({a: 1.0 for a in "BTE"}, f'fill="none" stroke="{MUTED}" stroke-dasharray="4 3"')
    )
    if previous and all(previous.get(a) is not None for a in "BTE"):
        body.append(
            polygon(previous, f'fill="none" stroke="{INK}" stroke-width="1" stroke-dasharray="2 2"')
        )
    complete = all(axes.get(a) is not None for a in "BTE")
    if complete:
        body.append(
            polygon(axes, f'fill="{PALE}" fill-opacity="0.8" stroke="{ACCENT}" stroke-width="2"')
        )
        for axis in "BTE":
            x, y = point(axis, axes[axis] or 0.0)
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{ACCENT}"/>')
    for axis in "BTE":
        x, y = point(axis, 1.2)
        body.append(_text(x, y, f"{axis} {labels.get(axis, '')}", size=12))
        body.append(_text(x, y + 14, _fmt(axes.get(axis)), fill=ACCENT if complete else WARN))
    if previous_label and previous:
        body.append(_text(8, size - 8, f"┄ {previous_label}", anchor="start", fill=MUTED))
    return _svg(size, size, body, "BTE triangle")


def radar_svg(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    reference: Sequence[float | None] | None = None,
    reference_label: str = "",
    size: int = 340,
) -> str:
    """Radar of the eight elements; a missing element is marked, not drawn as zero."""
    n = len(labels)
    cx, cy, r = size / 2, size / 2 + 4, size * 0.33
    body: list[str] = []

    def at(k: int, v: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * k / n
        return cx + math.cos(angle) * r * v, cy + math.sin(angle) * r * v

    for ring in (0.2, 0.4, 0.6, 0.8, 1.0):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(k, ring) for k in range(n)))
        body.append(f'<polygon points="{pts}" fill="none" stroke="#e5e7eb"/>')
    for k in range(n):
        x, y = at(k, 1.0)
        body.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
    if reference is not None:
        pts = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (at(k, v or 0.0) for k, v in enumerate(reference))
        )
        body.append(
            f'<polygon points="{pts}" fill="none" stroke="{MUTED}" stroke-dasharray="4 3"/>'
        )
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(k, v or 0.0) for k, v in enumerate(values)))
    body.append(
        f'<polygon points="{pts}" fill="{PALE}" fill-opacity="0.7" '
        f'stroke="{ACCENT}" stroke-width="2"/>'
    )
    for k, (label, v) in enumerate(zip(labels, values, strict=True)):
        x, y = at(k, 1.18)
        body.append(_text(x, y, label, size=12))
        body.append(_text(x, y + 13, _fmt(v), fill=WARN if v is None else ACCENT))
    if reference is not None and reference_label:
        body.append(_text(8, size - 6, f"┄ {reference_label}", anchor="start", fill=MUTED))
    return _svg(size, size + 10, body, "element radar")


def barrel_svg(
    staves: Sequence[tuple[str, float | None]], shortest: Sequence[str], *, width: int = 520
) -> str:
    """Staves as bars; the water line is the shortest stave — the barrel holds no more."""
    height, top, bottom = 230, 20, 190
    scale = bottom - top
    n = max(len(staves), 1)
    step = (width - 40) / n
    scored = [v for _, v in staves if v is not None]
    body = [f'<line x1="20" y1="{bottom}" x2="{width - 20}" y2="{bottom}" stroke="{INK}"/>']
    for k, (label, v) in enumerate(staves):
        x = 20 + k * step + step * 0.15
        w = step * 0.7
        if v is None:
            body.append(
                f'<rect x="{x:.1f}" y="{top}" width="{w:.1f}" height="{scale}" fill="none" '
                f'stroke="{WARN}" stroke-dasharray="3 3"/>'
            )
        else:
            h = scale * v
            colour = WARN if label in shortest else ACCENT
            body.append(
                f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
                f'fill="{colour}" fill-opacity="0.85" rx="2"/>'
            )
        body.append(_text(x + w / 2, bottom + 16, label, size=11))
        body.append(_text(x + w / 2, bottom + 30, _fmt(v), size=10, fill=MUTED))
    if scored:
        level = bottom - scale * min(scored)
        body.append(
            f'<line x1="20" y1="{level:.1f}" x2="{width - 20}" y2="{level:.1f}" '
            f'stroke="#0ea5e9" stroke-width="2" stroke-dasharray="6 3"/>'
        )
    return _svg(width, height + 10, body, "barrel")


def trend_svg(
    periods: Sequence[str], series: dict[str, Sequence[float | None]], *, width: int = 520
) -> str:
    """Lines over periods (index and axes); values on a fixed 0–1 scale."""
    height, left, right, top, bottom = 210, 40, width - 90, 15, 180
    colours = [ACCENT, "#059669", "#d97706", "#7c3aed"]
    body = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{INK}"/>']
    for tick in (0.0, 0.5, 1.0):
        y = bottom - (bottom - top) * tick
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#f3f4f6"/>')
        body.append(_text(left - 6, y + 4, f"{tick:.1f}", anchor="end", size=10, fill=MUTED))
    n = len(periods)

    def x_at(k: int) -> float:
        return left + (right - left) * (k / (n - 1) if n > 1 else 0.5)

    for k, p in enumerate(periods):
        body.append(_text(x_at(k), bottom + 16, p, size=11))
    for c, (name, values) in enumerate(series.items()):
        colour = colours[c % len(colours)]
        pts = [
            (x_at(k), bottom - (bottom - top) * v) for k, v in enumerate(values) if v is not None
        ]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for x, y in pts:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        body.append(_text(right + 10, top + 14 + 16 * c, name, anchor="start", fill=colour))
    return _svg(width, height, body, "trend")


def peers_svg(rows: Sequence[tuple[str, float | None, bool]], *, width: int = 520) -> str:
    """Horizontal bars of the index per city; the assessed city is highlighted."""
    bar_h, gap, left = 16, 6, 120
    height = 20 + len(rows) * (bar_h + gap)
    body: list[str] = []
    for k, (label, v, own) in enumerate(rows):
        y = 10 + k * (bar_h + gap)
        body.append(_text(left - 8, y + 12, label, anchor="end", fill=ACCENT if own else INK))
        if v is None:
            body.append(_text(left + 4, y + 12, "—", anchor="start", fill=WARN))
            continue
        w = (width - left - 60) * v
        body.append(
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{ACCENT if own else MUTED}" rx="2"/>'
        )
        body.append(_text(left + w + 6, y + 12, f"{v:.3f}", anchor="start", size=10))
    return _svg(width, height, body, "peers")
