"""The 1+N roadmap: phased actions drawn from a replaceable action library.

For each phase p (threshold τ_p) every indicator i has a target value — its own phase
target, or L + τ_p(U − L) — and a score gap g_ip = max(0, target score − current score).
An action of phase p is a candidate when it cites an indicator with a gap; its priority is
Σ W_i·g_ip over the indicators it cites, W_i being the indicator's share in the index.
The highest-priority actions (up to ``max_per_phase``) are planned, grouped into the common
"1" and the N domains. Indicators without a value cannot show a gap: they are listed under
"measure first" instead of being guessed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from citybase.assess.barrel import PhaseStatus, phase_target_value, score_of
from citybase.assess.compiled import CompiledFramework
from citybase.assess.framework import DATA_DIR, FloatArray, Framework, LocalText
from citybase.errors import ValidationFailed


class Effect(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    indicator: str
    change: float  # expected change in the indicator's own unit (negative: it falls)
    note: str = ""


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: LocalText
    description: LocalText | None = None
    elements: list[str] = Field(min_length=1)
    domain: str = "common"
    phase: str
    effects: list[Effect] = Field(min_length=1)


def parse_actions(raw: object, fw: Framework, *, origin: str = "actions") -> list[Action]:
    items = raw.get("actions") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationFailed(f"{origin}: expected a non-empty 'actions' list.", field="actions")
    ids = {ind.id: ind for ind in fw.indicators}
    phases = {p.id for p in fw.phases}
    actions: list[Action] = []
    seen: set[str] = set()
    for pos, item in enumerate(items):
        label = f"{origin}: action '{item.get('id') if isinstance(item, dict) else pos}'"
        try:
            action = Action.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValidationFailed(f"{label}: {where}: {first['msg']}", field=label) from None
        problems: list[str] = []
        if action.id in seen:
            problems.append("listed twice")
        if action.phase not in phases:
            problems.append(f"unknown phase '{action.phase}' ({', '.join(sorted(phases))})")
        if action.domain not in fw.domains:
            problems.append(f"unknown domain '{action.domain}'")
        for effect in action.effects:
            ind = ids.get(effect.indicator)
            if ind is None:
                problems.append(f"cites unknown indicator '{effect.indicator}'")
            elif ind.element not in action.elements:
                problems.append(
                    f"cites '{ind.id}' of element '{ind.element}', which is not among its "
                    f"elements ({', '.join(action.elements)})"
                )
        if problems:
            raise ValidationFailed(f"{label}: " + "; ".join(problems), field=action.id)
        seen.add(action.id)
        actions.append(action)
    return actions


def load_actions(fw: Framework, path: Path | str | None = None) -> list[Action]:
    """Load and validate an action library against ``fw`` (the shipped default when None)."""
    return _read(Path(path) if path else DATA_DIR / "actions_default.yaml", fw)


def _read(file: Path, fw: Framework) -> list[Action]:
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationFailed(f"Action library not found: {file}", field="actions") from None
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{file} is not valid YAML: {exc}", field="actions") from None
    return parse_actions(raw, fw, origin=str(file))


def _item(
    cf: CompiledFramework,
    action: Action,
    phase_id: str,
    threshold: float,
    values: FloatArray,
    scores: FloatArray,
    global_w: FloatArray,
) -> tuple[float, dict[str, Any]]:
    fw = cf.framework
    priority = 0.0
    cited: list[dict[str, Any]] = []
    unmeasured: list[str] = []
    for effect in action.effects:
        j = cf.index(effect.indicator)
        ind = fw.indicator(effect.indicator)
        target = phase_target_value(ind, phase_id, threshold)
        target_score = score_of(ind, target)
        if np.isnan(values[j]):
            unmeasured.append(ind.id)
            continue
        gap = max(0.0, target_score - float(scores[j]))
        priority += float(global_w[j]) * gap
        unit = fw.units[ind.unit]
        expected = float(values[j]) + effect.change
        if unit.min is not None:
            expected = max(unit.min, expected)
        if unit.max is not None:
            expected = min(unit.max, expected)
        cited.append(
            {
                "id": ind.id,
                "unit": ind.unit,
                "value": round(float(values[j]), 6),
                "score": round(float(scores[j]), 6),
                "target_value": round(target, 6),
                "target_score": round(target_score, 6),
                "score_gap": round(gap, 6),
                "expected_change": effect.change,
                "expected_value": round(expected, 6),
                "expected_score": round(score_of(ind, expected), 6),
            }
        )
    item = {
        "action": action.id,
        "title": action.title.model_dump(),
        "description": action.description.model_dump() if action.description else None,
        "elements": list(action.elements),
        "domain": action.domain,
        "priority": round(priority, 6),
        "indicators": cited,
        "unmeasured": unmeasured,
    }
    return priority, item


def build_roadmap(
    cf: CompiledFramework,
    actions: list[Action],
    *,
    values: FloatArray,
    scores: FloatArray,
    global_weights: FloatArray,
    status: PhaseStatus,
    domains: list[str] | None = None,
    max_per_phase: int = 8,
) -> dict[str, Any]:
    """Plan every phase from the city's current values (see the module docstring)."""
    fw = cf.framework
    allowed = {"common", *(domains if domains is not None else fw.domains)}
    phase_ids = [p.id for p in fw.phases]
    reached = phase_ids.index(status.current) if status.current else -1
    plan: list[dict[str, Any]] = []
    for pos, phase in enumerate(fw.phases):
        ranked: list[tuple[float, str, dict[str, Any]]] = []
        for action in actions:
            if action.phase != phase.id or action.domain not in allowed:
                continue
            priority, item = _item(
                cf, action, phase.id, phase.threshold, values, scores, global_weights
            )
            if priority > 0:
                ranked.append((priority, action.id, item))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        chosen = [item for _, _, item in ranked[:max_per_phase]]
        by_domain: dict[str, list[dict[str, Any]]] = {}
        for item in chosen:
            if item["domain"] != "common":
                by_domain.setdefault(item["domain"], []).append(item)
        if pos <= reached:
            state = "reached"
        elif pos == reached + 1:
            state = "next"
        else:
            state = "later"
        plan.append(
            {
                "id": phase.id,
                "name": phase.name.model_dump(),
                "focus": phase.focus.model_dump(),
                "threshold": phase.threshold,
                "status": state,
                "common": [i for i in chosen if i["domain"] == "common"],
                "domains": by_domain,
                "candidates": len(ranked),
            }
        )
    measure_first = [
        cf.indicator_ids[j] for j in np.flatnonzero(np.isnan(values)) if cf.domain_of[j] in allowed
    ]
    return {"phases": plan, "measure_first": measure_first, "max_per_phase": max_per_phase}
