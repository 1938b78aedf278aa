"""What the platform knows about its own city: live indicators and the 4A raw material.

Live indicators come from every domain's ``citybase_live_indicators`` hook. The 4A outline
reads the other domains only through their service modules, and only when they are
installed; whatever could not be read is named in ``PlatformKnowledge.sources``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from citybase.assess.architecture import KnownDataset, KnownModule, KnownService, PlatformKnowledge
from citybase.assess.framework import Framework, load_framework
from citybase.assess.roadmap import Action, load_actions
from citybase.hookspecs import LiveIndicator
from citybase.plugins import get_plugin_manager
from citybase.settings import Settings

log = logging.getLogger("citybase.assess")

FRAMEWORK_FILE = "assess_framework.yaml"
ACTIONS_FILE = "assess_actions.yaml"


def platform_framework(settings: Settings | None) -> Framework:
    """The city's framework: ``assess_framework.yaml`` in CITYBASE_TAXONOMY_DIR, else ours."""
    path = _taxonomy_file(settings, FRAMEWORK_FILE)
    return load_framework(path)


def platform_actions(fw: Framework, settings: Settings | None) -> list[Action]:
    return load_actions(fw, _taxonomy_file(settings, ACTIONS_FILE))


def _taxonomy_file(settings: Settings | None, name: str) -> Path | None:
    if settings is None or settings.taxonomy_dir is None:
        return None
    path = settings.taxonomy_dir / name
    return path if path.exists() else None


def collect_live_indicators(*, db_session: Session) -> list[LiveIndicator]:
    """Every installed domain's live indicator values, in plug-in order."""
    out: list[LiveIndicator] = []
    for group in get_plugin_manager().hook.citybase_live_indicators(session=db_session):
        out.extend(group or [])
    return out


def _service_module(domain: str) -> Any | None:
    name = f"citybase.{domain}.service"
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


def _department_label(obj: Any) -> str:
    dept = getattr(obj, "department", None)
    if dept is None:
        return str(getattr(obj, "department_code", "") or "")
    return str(getattr(dept, "name_zh", None) or getattr(dept, "code", ""))


def _datasets(db_session: Session, viewer: Any, knowledge: PlatformKnowledge) -> None:
    datahub = _service_module("datahub")
    if datahub is None or not hasattr(datahub, "list_datasets"):
        knowledge.sources["datahub"] = "data hub catalogue not installed"
        return
    elements = 0
    for ds in datahub.list_datasets(db_session=db_session, viewer=viewer):
        bound: list[str] = []
        if hasattr(datahub, "bindings_of_dataset"):
            for binding in datahub.bindings_of_dataset(db_session=db_session, dataset=ds):
                role = "authority" if binding.role == "authority" else "replica"
                bound.append(f"{binding.element.name} ({binding.element.code}, {role})")
        elements += len(bound)
        knowledge.datasets.append(
            KnownDataset(
                name=str(ds.name),
                title=str(ds.title),
                theme=str(ds.theme),
                department=_department_label(ds),
                sharing=str(ds.sharing_type),
                open=str(ds.open_type),
                elements=tuple(bound),
            )
        )
    knowledge.sources["datahub"] = f"{len(knowledge.datasets)} datasets, {elements} bound elements"


def _services(db_session: Session, knowledge: PlatformKnowledge) -> None:
    """Service items (政务服务事项) of a ``citybase.services`` domain offering
    ``service.list_items(*, db_session)``; they are government services by definition."""
    module = _service_module("services")
    lister = getattr(module, "list_items", None) if module else None
    if lister is None:
        knowledge.sources["services"] = "service catalogue not installed"
        return
    for item in lister(db_session=db_session):
        knowledge.services.append(
            KnownService(
                code=str(getattr(item, "code", "")),
                name=str(getattr(item, "name", None) or getattr(item, "name_zh", "")),
                domain="government",
                department=_department_label(item),
            )
        )
    knowledge.sources["services"] = f"{len(knowledge.services)} service items"


def platform_knowledge(*, db_session: Session, viewer: Any) -> PlatformKnowledge:
    """Gather the 4A raw material: installed domains and modules, datasets, service items."""
    pm = get_plugin_manager()
    knowledge = PlatformKnowledge()
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin) or ""
        if name.startswith("citybase.") and name.endswith(".plugin"):
            knowledge.plugins.append(name.removeprefix("citybase.").removesuffix(".plugin"))
    knowledge.plugins.sort()
    for group in pm.hook.citybase_modules():
        for mod in group or []:
            knowledge.modules.append(KnownModule(mod.key, mod.title_zh, mod.title_en, mod.url))
    knowledge.sources["modules"] = f"{len(knowledge.modules)} modules"
    _datasets(db_session, viewer, knowledge)
    _services(db_session, knowledge)
    return knowledge
