"""The demo city's share of assessment: three annual assessments and ten peer cities.

2024 and 2025 are entered; 2026 asks for live indicators, so whatever the installed domains
measure replaces the entered value (and the result says which values are live). Values are
drawn from ``data/demo_profile.yaml`` with the demo seed, so a seed always gives the same
numbers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import yaml

from citybase.assess import service
from citybase.assess.framework import DATA_DIR, Framework
from citybase.assess.inputs import AssessmentSpec, request_from_spec
from citybase.assess.platform import platform_framework


@lru_cache(maxsize=1)
def demo_profile() -> dict[str, Any]:
    raw = yaml.safe_load((DATA_DIR / "demo_profile.yaml").read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


def draw_values(
    fw: Framework, levels: dict[str, float], rng: np.random.Generator, noise: float
) -> dict[str, float]:
    """One city's values: each indicator at its element's level (± noise) between L and U."""
    out: dict[str, float] = {}
    for ind in fw.indicators:
        f = float(np.clip(levels[ind.element] + rng.normal(0, noise), 0.02, 0.98))
        lo, hi = ind.goalposts.lower, ind.goalposts.upper
        value = lo + f * (hi - lo) if ind.direction == "higher" else hi - f * (hi - lo)
        unit = fw.units[ind.unit]
        if unit.boolean:
            value = 1.0 if f >= 0.45 else 0.0
        elif ind.unit == "count":
            value = float(round(value))
        else:
            value = round(value, 2 if abs(hi - lo) < 10 else 1)
        if unit.min is not None:
            value = max(unit.min, value)
        if unit.max is not None:
            value = min(unit.max, value)
        out[ind.id] = value
    return out


def build_assessments(ctx: Any) -> None:
    """Demo step: peers for each period, then the city's three annual assessments."""
    profile = demo_profile()
    fw = platform_framework(ctx.settings)
    rng = ctx.rng("assess")
    periods: dict[str, Any] = profile["periods"]
    peer_spec = profile["peers"]
    task = ctx.progress.add_task(
        "转型评估 assessments", total=len(periods) * (1 + len(peer_spec["cities"]))
    )
    offsets = {
        p["code"]: {e: rng.normal(0, peer_spec["element_spread"]) for e in fw.elements}
        for p in peer_spec["cities"]
    }
    city = profile["city"]
    with ctx.session() as s:
        for k, period in enumerate(sorted(periods)):
            for peer in peer_spec["cities"]:
                level = peer["level"] + k * peer_spec["growth_per_year"]
                levels = {e: level + offsets[peer["code"]][e] for e in fw.elements}
                service.save_peer(
                    db_session=s,
                    actor=None,
                    code=peer["code"],
                    name=peer["name"],
                    period=period,
                    values=draw_values(fw, levels, rng, profile["noise"]),
                    source="demo (synthetic)",
                    settings=ctx.settings,
                )
                ctx.progress.advance(task)
        for period in sorted(periods):
            spec = AssessmentSpec.model_validate(
                {
                    "city": city,
                    "period": period,
                    "values": draw_values(fw, periods[period]["levels"], rng, profile["noise"]),
                    "live": bool(periods[period]["live"]),
                    "note": "demo city (synthetic values)",
                }
            )
            service.run_assessment(
                db_session=s,
                actor=None,
                request=request_from_spec(spec, base_dir=None, origin=f"demo {period}"),
                settings=ctx.settings,
                replace=True,
            )
            ctx.progress.advance(task)
