"""Routing rules as data (派遣规则): category, area, time, keywords → department and grid.

Rules admins keep in the database (``ops_routing_rule``, ordered by position) are tried
first, then the city's file (``CITYBASE_OPS_ROUTING_RULES``, default
``ops/data/routing_rules.yaml``); the first match wins; no match → the category's default
department and the report's own grid. ``route`` is also the test bench ("where would this
report go?"), which says which rule decided and why the ones before did not.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.errors import ConfigurationError, ValidationFailed
from citybase.ops.models import OpsRoutingRule
from citybase.ops.settings import get_ops_settings
from citybase.ops.taxonomy import get_category
from citybase.settings import Settings
from citybase.worktime import clock_for

SHIPPED = Path(__file__).parent / "data" / "routing_rules.yaml"


@dataclass(frozen=True)
class Rule:
    name: str
    department: str
    categories: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    hours: tuple[int, int] | None = None
    grid: str | None = None
    source: str = "file"
    id: int | None = None


@dataclass(frozen=True)
class Routing:
    department: str
    grid_code: str | None
    rule: str  # the rule's name, or "default"
    source: str  # db / file / default
    skipped: list[str] = field(default_factory=list)  # rules tried before, with the reason


def parse_hours(value: str, where: str = "hours") -> tuple[int, int] | None:
    if not value:
        return None
    try:
        start, end = (int(p) for p in value.split("-"))
    except ValueError:
        raise ValidationFailed(
            f"{where}: '{value}' must be 'HH-HH' in city time, e.g. '22-06'.", field="hours"
        ) from None
    if not (0 <= start <= 23 and 0 <= end <= 24) or start == end:
        raise ValidationFailed(f"{where}: '{value}' is not a window of hours.", field="hours")
    return start, end


def _rule_from(raw: dict[str, Any], where: str, source: str) -> Rule:
    if not isinstance(raw.get("name"), str) or not isinstance(raw.get("department"), str):
        raise ConfigurationError(f"{where}: a rule needs a name and a department.")
    return Rule(
        name=raw["name"],
        department=raw["department"],
        categories=tuple(raw.get("categories") or ()),
        areas=tuple(raw.get("areas") or ()),
        keywords=tuple(raw.get("keywords") or ()),
        hours=parse_hours(str(raw.get("hours") or ""), where),
        grid=raw.get("grid"),
        source=source,
    )


@lru_cache(maxsize=4)
def _file_rules(path: Path) -> tuple[Rule, ...]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raws = doc.get("rules") or [] if isinstance(doc, dict) else None
    if not isinstance(raws, list):
        raise ConfigurationError(f"{path}: rules: expected a list.", field="ops_routing_rules")
    return tuple(_rule_from(r, f"{path}: rules[{i}]", "file") for i, r in enumerate(raws))


def file_rules() -> tuple[Rule, ...]:
    return _file_rules(get_ops_settings().routing_rules or SHIPPED)


def db_rule(row: OpsRoutingRule) -> Rule:
    return Rule(
        name=row.name,
        department=row.department,
        categories=tuple(json.loads(row.categories)),
        areas=tuple(json.loads(row.area_codes)),
        keywords=tuple(json.loads(row.keywords)),
        hours=parse_hours(row.hours),
        grid=row.grid_code,
        source="db",
        id=row.id,
    )


def all_rules(db_session: Session) -> list[Rule]:
    rows = db_session.scalars(
        select(OpsRoutingRule)
        .where(OpsRoutingRule.enabled.is_(True))
        .order_by(OpsRoutingRule.position, OpsRoutingRule.id)
    )
    return [db_rule(r) for r in rows] + list(file_rules())


def _miss(rule: Rule, *, category: str, codes: set[str], text: str, hour: int) -> str | None:
    """Why ``rule`` does not match (None: it matches)."""
    if rule.categories and category not in rule.categories:
        return f"category {category} not in {', '.join(rule.categories)}"
    if rule.areas and not codes.intersection(rule.areas):
        return "area not in " + ", ".join(rule.areas)
    if rule.keywords and not any(k in text for k in rule.keywords):
        return "no keyword " + "/".join(rule.keywords)
    if rule.hours is not None:
        start, end = rule.hours
        inside = start <= hour < end if start < end else (hour >= start or hour < end)
        if not inside:
            return f"hour {hour} outside {start}-{end}"
    return None


def route(
    db_session: Session,
    settings: Settings,
    *,
    category: str,
    text: str,
    district_code: str | None,
    street_code: str | None,
    grid_code: str | None,
    at: dt.datetime,
) -> Routing:
    cat = get_category(settings, category)
    codes = {c for c in (district_code, street_code, grid_code) if c}
    hour = at.astimezone(clock_for(settings).tz).hour
    skipped: list[str] = []
    for rule in all_rules(db_session):
        why = _miss(rule, category=category, codes=codes, text=text, hour=hour)
        if why is None:
            return Routing(rule.department, rule.grid or grid_code, rule.name, rule.source, skipped)
        skipped.append(f"{rule.name}: {why}")
    return Routing(cat.department, grid_code, "default", "default", skipped)
