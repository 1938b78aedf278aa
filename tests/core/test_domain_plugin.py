"""Domains declare their generic hooks with ``DomainPlugin``; nothing heavy is imported early."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pluggy
import typer
from fastapi import APIRouter

from citybase import hookspecs
from citybase.domain import DomainPlugin
from citybase.plugins import builtin_plugin_modules, get_plugin_manager

SRC = Path(__file__).resolve().parents[2] / "src"
GENERIC = ("citybase_load_models", "citybase_routers", "citybase_cli", "citybase_template_dirs")


def _fresh_manager(*plugins: object) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("citybase")
    pm.add_hookspecs(hookspecs)
    for plugin in plugins:
        pm.register(plugin)
    return pm


def test_builtin_plugins_declare_generic_hooks_instead_of_writing_them() -> None:
    for name in builtin_plugin_modules():
        module = importlib.import_module(name)
        written = [hook for hook in GENERIC if hasattr(module, hook)]
        assert written == [], f"{name} writes {written} by hand; declare them in DomainPlugin"
    pm = get_plugin_manager()
    declared = {
        pm.get_name(p): p.hook_names for p in pm.get_plugins() if isinstance(p, DomainPlugin)
    }
    assert declared["citybase.geo.plugin:domain"] == [
        "citybase_cli",
        "citybase_load_models",
        "citybase_routers",
        "citybase_template_dirs",
        "citybase_translations",
    ]
    assert declared["citybase.web.plugin:domain"] == ["citybase_routers"]


def test_loading_the_plugins_imports_no_router_model_or_web_framework() -> None:
    code = (
        "import json, sys\n"
        "from citybase.plugins import get_plugin_manager\n"
        "get_plugin_manager()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC)},
    ).stdout
    loaded = json.loads(out)
    heavy = [
        m
        for m in loaded
        if m in ("fastapi", "sqlalchemy", "typer", "jinja2")
        or (m.startswith("citybase.") and m.rsplit(".", 1)[-1].startswith(("router", "models")))
    ]
    assert heavy == []


def test_a_declaration_implements_exactly_its_hooks(tmp_path: Path) -> None:
    domain = DomainPlugin(
        name="geo",
        routers=["citybase.geo.router:router", "citybase.geo.pages:router"],
        cli="citybase.geo.cli:app",
        cli_name="grids",
        translations="locales/{locale}.yaml",
    )
    pm = _fresh_manager(domain)
    assert pm.hook.citybase_template_dirs() == []  # not declared: no implementation
    assert pm.hook.citybase_load_models() == []
    [routers] = pm.hook.citybase_routers()
    assert all(isinstance(r, APIRouter) for r in routers)
    assert any(route.path == "/api/geo/locate" for route in routers[0].routes)  # type: ignore[attr-defined]
    root = typer.Typer()
    pm.hook.citybase_cli(app=root)
    assert [group.name for group in root.registered_groups] == ["grids"]
    [messages] = pm.hook.citybase_translations(locale="en")
    assert messages and all(isinstance(v, str) for v in messages.values())
    assert pm.hook.citybase_translations(locale="xx") == [{}]  # a missing catalog is empty


def test_a_third_party_package_resolves_paths_in_its_own_folder(tmp_path: Path) -> None:
    pkg = tmp_path / "citybase_parking"
    (pkg / "templates").mkdir(parents=True)
    (pkg / "data").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "data" / "messages.zh-CN.yaml").write_text("parking.title: 停车\n", encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        domain = DomainPlugin(
            name="parking", package="citybase_parking", templates=True, translations=True
        )
        pm = _fresh_manager(domain)
        assert pm.hook.citybase_template_dirs() == [[pkg / "templates"]]
        assert pm.hook.citybase_translations(locale="zh-CN") == [{"parking.title": "停车"}]
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("citybase_parking", None)
