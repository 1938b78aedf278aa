"""The plug-in manager. Built-in domains register exactly like third-party ones."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from functools import lru_cache

import pluggy

import citybase
from citybase import hookspecs


def builtin_plugin_modules() -> list[str]:
    """Every ``citybase.<domain>.plugin`` module, in name order."""
    names = []
    for info in pkgutil.iter_modules(citybase.__path__):
        if info.ispkg:
            try:
                spec = importlib.util.find_spec(f"citybase.{info.name}.plugin")
            except ModuleNotFoundError:
                spec = None
            if spec is not None:
                names.append(f"citybase.{info.name}.plugin")
    return sorted(names)


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
    from citybase.domain import DomainPlugin

    for name, plugin in list(pm.list_name_plugin()):
        domain = getattr(plugin, "domain", None)
        if isinstance(domain, DomainPlugin) and not pm.is_registered(domain):
            pm.register(domain, name=f"{name}:domain")


def load_all_models() -> None:
    get_plugin_manager().hook.citybase_load_models()
