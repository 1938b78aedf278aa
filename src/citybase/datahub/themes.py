"""Themes and licences: reference lists a city replaces as data, never literals in code.

The demo city's lists ship in ``citybase/datahub/data``; a city puts its own
``datahub_themes.yaml`` / ``datahub_licences.yaml`` into ``CITYBASE_TAXONOMY_DIR`` (next to
its ``departments.yaml``) and those win. Both files are validated when first read; a broken
file is refused with the entry and field that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from citybase.errors import ConfigurationError, ValidationFailed
from citybase.settings import Settings, get_settings

DATA_DIR = Path(__file__).parent / "data"
DCAT_THEMES = frozenset(
    {"AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI", "SOCI"}
    | {"TECH", "TRAN", "OP_DATPRO"}
)


@dataclass(frozen=True)
class Theme:
    code: str
    name_zh: str
    name_en: str
    dcat: str

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh


@dataclass(frozen=True)
class Licence:
    id: str
    title_zh: str
    title_en: str
    url: str
    open: bool
    note: str

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_zh


def _read(path: Path, key: str) -> list[dict[str, Any]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path} is not valid YAML: {exc}", field=str(path)) from None
    items = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise ConfigurationError(f"{path}: expected a non-empty '{key}' list.", field=str(path))
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ConfigurationError(f"{path}: {key} #{i} must be a mapping.", field=str(path))
    return items


def _need(path: Path, key: str, i: int, item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if value is None or str(value).strip() == "":
        raise ConfigurationError(
            f"{path}: {key} #{i} needs '{name}'.", field=f"{path.name}:{key}[{i}].{name}"
        )
    return str(value)


@lru_cache(maxsize=8)
def load_themes(path: Path) -> tuple[Theme, ...]:
    items = _read(path, "themes")
    out: list[Theme] = []
    seen: set[str] = set()
    for i, item in enumerate(items, start=1):
        code = _need(path, "themes", i, item, "code")
        if code in seen:
            raise ConfigurationError(f"{path}: theme code '{code}' appears twice.", field=code)
        seen.add(code)
        dcat = _need(path, "themes", i, item, "dcat")
        if dcat not in DCAT_THEMES:
            raise ConfigurationError(
                f"{path}: theme '{code}' maps to unknown DCAT theme '{dcat}'; "
                f"use one of {', '.join(sorted(DCAT_THEMES))}.",
                field=f"themes[{i}].dcat",
            )
        out.append(
            Theme(
                code=code,
                name_zh=_need(path, "themes", i, item, "name_zh"),
                name_en=str(item.get("name_en") or item["name_zh"]),
                dcat=dcat,
            )
        )
    return tuple(out)


@lru_cache(maxsize=8)
def load_licences(path: Path) -> tuple[Licence, ...]:
    items = _read(path, "licences")
    out: list[Licence] = []
    seen: set[str] = set()
    for i, item in enumerate(items, start=1):
        lid = _need(path, "licences", i, item, "id")
        if lid in seen:
            raise ConfigurationError(f"{path}: licence '{lid}' appears twice.", field=lid)
        seen.add(lid)
        out.append(
            Licence(
                id=lid,
                title_zh=_need(path, "licences", i, item, "title_zh"),
                title_en=str(item.get("title_en") or item["title_zh"]),
                url=str(item.get("url") or ""),
                open=bool(item.get("open", False)),
                note=str(item.get("note") or ""),
            )
        )
    return tuple(out)


def _path(settings: Settings | None, filename: str) -> Path:
    candidate = (settings or get_settings()).effective_taxonomy_dir / f"datahub_{filename}"
    return candidate if candidate.is_file() else DATA_DIR / filename


def themes(settings: Settings | None = None) -> tuple[Theme, ...]:
    """The city's theme list (its own file in the taxonomy dir, else the demo city's)."""
    return load_themes(_path(settings, "themes.yaml"))


def licences(settings: Settings | None = None) -> tuple[Licence, ...]:
    """The licences a dataset may carry (the city's own file, else the demo city's)."""
    return load_licences(_path(settings, "licences.yaml"))


def theme_by_code(code: str, settings: Settings | None = None) -> Theme:
    for theme in themes(settings):
        if theme.code == code:
            return theme
    known = ", ".join(t.code for t in themes(settings))
    raise ValidationFailed(f"Unknown theme '{code}'. Use one of: {known}.", field="theme")


def licence_by_id(lid: str, settings: Settings | None = None) -> Licence:
    for lic in licences(settings):
        if lic.id == lid:
            return lic
    known = ", ".join(x.id for x in licences(settings))
    raise ValidationFailed(f"Unknown licence '{lid}'. Use one of: {known}.", field="licence")
