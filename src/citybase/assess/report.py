"""The assessment report: one self-contained HTML page (inline SVG, inline CSS), and its PDF.

The HTML needs nothing from the network, so it opens on an isolated intranet; the PDF is
rendered by WeasyPrint with Noto Sans CJK, whose used glyphs WeasyPrint embeds.
"""

from __future__ import annotations

import statistics
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from citybase.assess import charts
from citybase.assess.framework import AXES, DATA_DIR, Framework
from citybase.errors import ServiceUnavailable

TEMPLATE_DIR = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def all_messages() -> dict[str, dict[str, str]]:
    raw = yaml.safe_load((DATA_DIR / "messages.yaml").read_text(encoding="utf-8"))
    return {str(k): {str(m): str(t) for m, t in v.items()} for k, v in raw.items()}


def messages(locale: str) -> dict[str, str]:
    table = all_messages()
    return table.get(locale) or table["zh-CN" if locale.startswith("zh") else "en"]


class Localiser:
    """Picks the locale's side of the framework's bilingual names, and UI strings."""

    def __init__(self, fw: Framework, locale: str) -> None:
        self.fw = fw
        self.locale = locale
        self.lang = "zh" if locale.startswith("zh") else "en"
        self.msgs = messages(locale)

    def t(self, key: str) -> str:
        return self.msgs.get(key, key)

    def text(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):
            return str(value.get(self.lang) or value.get("en") or "")
        return str(getattr(value, self.lang, value))

    def element(self, element_id: str) -> str:
        info = self.fw.elements.get(element_id)
        return self.text(info.name) if info else element_id

    def axis(self, axis_id: str) -> str:
        return self.text(self.fw.axes[axis_id].name) if axis_id in self.fw.axes else axis_id

    def domain(self, domain_id: str) -> str:
        info = self.fw.domains.get(domain_id)
        return self.text(info.name) if info else domain_id

    def indicator(self, indicator_id: str) -> str:
        for ind in self.fw.indicators:
            if ind.id == indicator_id:
                return self.text(ind.name)
        return indicator_id

    def phase(self, phase_id: str | None) -> str:
        if not phase_id:
            return ""
        for p in self.fw.phases:
            if p.id == phase_id:
                return f"{self.text(p.name)} · {self.text(p.focus)}"
        return phase_id


def chart_set(
    result: dict[str, Any], loc: Localiser, history: list[dict[str, Any]] | None = None
) -> dict[str, Markup]:
    """The SVG charts of one result (and its earlier periods, oldest first)."""
    fw = loc.fw
    element_order = [e for a in AXES for e in fw.axes[a].elements]
    history = sorted(history or [], key=lambda r: str(r["period"]))
    earlier = [r for r in history if str(r["period"]) < str(result["period"])]
    previous = earlier[-1] if earlier else None
    out: dict[str, Markup] = {
        "triangle": _trusted_svg(
            charts.triangle_svg(
                result["axes"],
                {a: loc.axis(a) for a in AXES},
                previous=previous["axes"] if previous else None,
                previous_label=str(previous["period"]) if previous else "",
            )
        ),
    }
    reference = None
    peers = result.get("peers")
    if peers and len(peers["cities"]) > 1:
        others = [c for c in peers["cities"] if c["code"] != result["city"]["code"]]
        reference = []
        for e in element_order:
            vals = [c["elements"][e] for c in others if c["elements"][e] is not None]
            reference.append(statistics.median(vals) if vals else None)
    out["radar"] = _trusted_svg(
        charts.radar_svg(
            [loc.element(e) for e in element_order],
            [result["elements"][e] for e in element_order],
            reference=reference,
            reference_label=loc.t("assess.peers") if reference else "",
        )
    )
    overall = result["barrel"]["overall"]
    out["barrel"] = _trusted_svg(
        charts.barrel_svg(
            [(loc.element(e), result["elements"][e]) for e in element_order],
            [loc.element(e) for e in overall["shortest"]],
        )
    )
    series = [*earlier, result]
    if len(series) > 1:
        out["trend"] = _trusted_svg(
            charts.trend_svg(
                [str(r["period"]) for r in series],
                {
                    "I": [r["index"] for r in series],
                    **{f"{a} {loc.axis(a)}": [r["axes"][a] for r in series] for a in AXES},
                },
            )
        )
    if peers:
        rows = sorted(
            peers["cities"], key=lambda c: (c["index"] is None, -(c["index"] or 0.0), c["code"])
        )
        out["peers"] = _trusted_svg(
            charts.peers_svg(
                [
                    (c["name"] or c["code"], c["index"], c["code"] == result["city"]["code"])
                    for c in rows
                ]
            )
        )
    return out


def _trusted_svg(svg: str) -> Markup:
    """Mark chart output safe: citybase.assess.charts escapes every text it places in the SVG."""
    return Markup(svg)  # noqa: S704 - built by charts.py, which escapes all user text


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def format_number(value: Any, digits: int = 3) -> str:
    """A figure for the report: up to ``digits`` decimals, trailing zeros dropped; None as —."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return str(value)


def render_html(
    result: dict[str, Any],
    fw: Framework,
    *,
    history: list[dict[str, Any]] | None = None,
    locale: str = "zh-CN",
) -> str:
    """The full report as one HTML document."""
    loc = Localiser(fw, locale)
    template = _environment().get_template("assess/report.html")
    return template.render(
        r=result,
        fw=fw,
        loc=loc,
        t=loc.t,
        charts=chart_set(result, loc, history),
        axes=AXES,
        lang="zh-CN" if loc.lang == "zh" else "en",
        num=format_number,
    )


def render_pdf(html: str) -> bytes:
    """PDF of the report (WeasyPrint); CJK glyphs come from the installed Noto Sans CJK."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # pragma: no cover - depends on system libraries
        raise ServiceUnavailable(
            f"PDF output needs WeasyPrint and its system libraries (Pango): {exc}. "
            "Install them, or use --format html.",
            field="format",
        ) from None
    pdf = HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
