"""The plug-in manager. Built-in domains register exactly like third-party ones."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from pathlib import Path

import pluggy

import citybase
from citybase import hookspecs
from citybase.domain import DomainPlugin


def builtin_plugin_modules() -> list[str]:
    """Every ``citybase.<domain>.plugin`` module, in name order."""
    # Look for the files rather than find_spec(): that would import every package's
    # __init__ (e.g. citybase.identifiers loads numpy), which `citybase --help` must not pay.
    names = []
    for folder in citybase.__path__:
        for info in pkgutil.iter_modules([folder]):
            pkg = Path(folder) / info.name
            if info.ispkg and ((pkg / "plugin.py").is_file() or (pkg / "plugin").is_dir()):
                names.append(f"citybase.{info.name}.plugin")
    return sorted(set(names))


@lru_cache(maxsize=1)
def get_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("citybase")
    pm.add_hookspecs(hookspecs)
    for name in builtin_plugin_modules():
        pm.register(importlib.import_module(name), name=name)
    pm.load_setuptools_entrypoints("citybase")
    _register_domain_declarations(pm)
    return pm


def _register_domain_declarations(pm: pluggy.PluginManager) -> None:
    """A plug-in module's ``domain = DomainPlugin(...)`` carries its generic hooks."""

    for name, plugin in list(pm.list_name_plugin()):
        domain = getattr(plugin, "domain", None)
        if isinstance(domain, DomainPlugin) and not pm.is_registered(domain):
            pm.register(domain, name=f"{name}:domain")


def load_all_models() -> None:
    get_plugin_manager().hook.citybase_load_models()
