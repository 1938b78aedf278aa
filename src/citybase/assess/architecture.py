"""The 4A architecture outline of a domain: BA, IA, AA, TA, filled from what the platform knows.

Each outline item says where it came from — the platform (service catalogue, data hub
catalogue, installed modules), the indicator framework, the roadmap's action library, or
the starting points in ``data/architecture_default.yaml`` — so that planners can see what
is measured fact and what is a template to edit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from citybase.assess.framework import DATA_DIR, Framework
from citybase.assess.roadmap import Action

SECTIONS = ("ba", "ia", "aa", "ta")


@dataclass(frozen=True)
class KnownDataset:
    name: str
    title: str
    theme: str
    department: str
    sharing: str
    open: str
    elements: tuple[str, ...] = ()  # data elements bound to its columns (一数一源)


@dataclass(frozen=True)
class KnownService:
    code: str
    name: str
    domain: str
    department: str = ""


@dataclass(frozen=True)
class KnownModule:
    key: str
    title_zh: str
    title_en: str
    url: str


@dataclass
class PlatformKnowledge:
    """What the platform can tell about itself, and which sources answered."""

    datasets: list[KnownDataset] = field(default_factory=list)
    services: list[KnownService] = field(default_factory=list)
    modules: list[KnownModule] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=2)
def architecture_defaults(path: Path | None = None) -> dict[str, Any]:
    raw = yaml.safe_load((path or DATA_DIR / "architecture_default.yaml").read_text("utf-8"))
    assert isinstance(raw, dict)
    return raw


def module_domain(key: str, defaults: dict[str, Any]) -> str:
    mapping: dict[str, str] = defaults.get("module_domains", {})
    for prefix, domain in mapping.items():
        if key == prefix or key.startswith(f"{prefix}-") or key.startswith(f"{prefix}_"):
            return domain
    return "common"


def _item(name: str, source: str, detail: str = "", **extra: Any) -> dict[str, Any]:
    return {"name": name, "detail": detail, "source": source, **extra}


def outline(
    fw: Framework,
    domain: str,
    knowledge: PlatformKnowledge,
    actions: list[Action],
    *,
    city_code: str,
    locale: str = "zh-CN",
) -> dict[str, Any]:
    """A generated 4A outline for ``domain`` (see the module docstring for the sources)."""
    from citybase.assess.report import messages

    lang = "zh" if locale.startswith("zh") else "en"
    msg = messages(locale)
    phase_names = {p.id: getattr(p.name, lang) for p in fw.phases}
    defaults = architecture_defaults()
    spec: dict[str, Any] = defaults["domains"].get(domain, {})
    themes = set(spec.get("themes", []))
    sections: dict[str, list[dict[str, Any]]] = {s: [] for s in SECTIONS}
    for svc in knowledge.services:
        if svc.domain == domain:
            sections["ba"].append(
                _item(svc.name, "platform:services", svc.department, code=svc.code)
            )
    for ind in fw.indicators:
        if ind.domain == domain and ind.element in ("business", "operations"):
            sections["ba"].append(
                _item(
                    getattr(ind.name, lang),
                    "framework",
                    msg["assess.arch.indicator"].format(id=ind.id),
                    indicator=ind.id,
                )
            )
    for action in actions:
        if action.domain == domain:
            sections["ba" if "business" in action.elements else "aa"].append(
                _item(
                    getattr(action.title, lang),
                    "roadmap",
                    phase_names.get(action.phase, action.phase),
                    action=action.id,
                )
            )
    for ds in knowledge.datasets:
        if ds.theme in themes or (domain == "common" and not themes):
            sections["ia"].append(
                _item(
                    ds.title,
                    "platform:datahub",
                    msg["assess.arch.dataset"].format(
                        department=ds.department, sharing=ds.sharing, open=ds.open
                    ),
                    dataset=ds.name,
                )
            )
            for element in ds.elements:
                sections["ia"].append(
                    _item(element, "platform:datahub", ds.title, dataset=ds.name, element=True)
                )
    for ind in fw.indicators:
        if ind.domain == domain:
            how = msg["assess.arch.live"] if ind.live else msg["assess.arch.entered"]
            sections["ia"].append(
                _item(f"{getattr(ind.name, lang)} ({ind.unit})", "framework", how, indicator=ind.id)
            )
    for mod in knowledge.modules:
        if module_domain(mod.key, defaults) == domain:
            title = mod.title_zh if lang == "zh" else mod.title_en
            sections["aa"].append(_item(title, "platform:modules", mod.url, module=mod.key))
    if domain == "common":
        for plugin in knowledge.plugins:
            sections["ta"].append(_item(plugin, "platform:domains", msg["assess.arch.domain"]))
    for section in SECTIONS:
        for seed in spec.get(section, []):
            sections[section].append(_item(str(seed.get(lang) or seed.get("en")), "template"))
    return {
        "city": city_code,
        "domain": domain,
        "domain_name": getattr(fw.domains[domain].name, lang) if domain in fw.domains else domain,
        "sections": sections,
        "sources": dict(knowledge.sources),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "edited": False,
    }


def validate_content(content: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Edited sections: each of BA/IA/AA/TA a list of items with at least a name."""
    from citybase.errors import ValidationFailed

    out: dict[str, list[dict[str, Any]]] = {}
    for section in SECTIONS:
        items = content.get(section, [])
        if not isinstance(items, list):
            raise ValidationFailed(f"{section} must be a list of items.", field=section)
        clean: list[dict[str, Any]] = []
        for pos, item in enumerate(items):
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, dict) or not str(item.get("name", "")).strip():
                raise ValidationFailed(
                    f"{section}[{pos}] needs a non-empty name.", field=f"{section}[{pos}]"
                )
            clean.append(
                {
                    "name": str(item["name"]).strip()[:300],
                    "detail": str(item.get("detail", ""))[:1000],
                    "source": str(item.get("source", "edited"))[:40],
                }
            )
        out[section] = clean
    unknown = set(content) - set(SECTIONS)
    if unknown:
        raise ValidationFailed(
            f"Unknown sections {', '.join(sorted(unknown))}; use ba, ia, aa and ta.",
            field=sorted(unknown)[0],
        )
    return out
