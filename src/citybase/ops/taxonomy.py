"""The city's event categories: a data file the city replaces (never codes in code)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from citybase.errors import ConfigurationError, ValidationFailed
from citybase.ops.settings import OpsSettings, get_ops_settings
from citybase.settings import Settings
from citybase.worktime.clock import Unit


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    department: str
    limit_amount: float  # the time limit from dispatch to handled
    limit_unit: Unit  # working_hours or working_days
    keywords: tuple[str, ...]
    examples: tuple[str, ...]


def categories_path(settings: Settings, ops: OpsSettings | None = None) -> Path:
    ops = ops or get_ops_settings()
    if ops.categories is not None:
        return ops.categories
    return settings.effective_taxonomy_dir / "event_categories.yaml"


def _fail(path: Path, where: str, what: str) -> ConfigurationError:
    return ConfigurationError(f"{path}: {where}: {what}", field="ops_categories")


def _category(path: Path, i: int, raw: Any) -> Category:
    if not isinstance(raw, dict):
        raise _fail(path, f"categories[{i}]", "expected a mapping with code, name_zh, department.")
    for key in ("code", "name_zh", "department"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _fail(path, f"categories[{i}].{key}", "missing; give a non-empty text.")
    if "sla_working_days" in raw:
        amount, unit = raw["sla_working_days"], Unit.working_days
    elif "sla_hours" in raw:
        amount, unit = raw["sla_hours"], Unit.working_hours
    else:
        raise _fail(path, f"categories[{i}] ({raw['code']})", "give sla_hours or sla_working_days.")
    if not isinstance(amount, int | float) or amount <= 0:
        raise _fail(path, f"categories[{i}] ({raw['code']})", "the time limit must be > 0.")
    return Category(
        code=raw["code"].strip(),
        name_zh=raw["name_zh"],
        name_en=str(raw.get("name_en") or raw["code"]),
        department=raw["department"].strip(),
        limit_amount=float(amount),
        limit_unit=unit,
        keywords=tuple(str(k) for k in raw.get("keywords") or ()),
        examples=tuple(str(e) for e in raw.get("examples") or ()),
    )


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Category]:
    if not path.is_file():
        raise ConfigurationError(
            f"ops_categories: {path} does not exist; set CITYBASE_OPS_CATEGORIES to the city's "
            "event_categories.yaml.",
            field="ops_categories",
        )
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raws = doc.get("categories") if isinstance(doc, dict) else None
    if not isinstance(raws, list) or not raws:
        raise _fail(path, "categories", "expected a non-empty list of categories.")
    out: dict[str, Category] = {}
    for i, raw in enumerate(raws):
        cat = _category(path, i, raw)
        if cat.code in out:
            raise _fail(path, f"categories[{i}]", f"code '{cat.code}' is listed twice.")
        out[cat.code] = cat
    return out


def categories(settings: Settings) -> dict[str, Category]:
    return _load(categories_path(settings))


def get_category(settings: Settings, code: str, field: str = "category") -> Category:
    found = categories(settings).get(code)
    if found is None:
        known = ", ".join(list(categories(settings))[:40])
        raise ValidationFailed(
            f"{field}: unknown category '{code}'; use one of: {known}.", field=field
        )
    return found
