from __future__ import annotations

import inspect
import re
from pathlib import Path

from citybase import hookspecs
from citybase.plugins import builtin_plugin_modules, get_plugin_manager

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def test_every_hook_is_documented() -> None:
    hooks = {
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("citybase_")
    }
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `(citybase_[a-z_]+)", text, flags=re.M))
    assert hooks, "no hooks found"
    assert hooks - documented == set(), f"Undocumented hooks: {sorted(hooks - documented)}"


def test_builtin_domains_register_through_the_same_hooks() -> None:
    names = builtin_plugin_modules()
    for expected in ("citybase.identity.plugin", "citybase.audit.plugin", "citybase.web.plugin"):
        assert expected in names
    pm = get_plugin_manager()
    registered = {pm.get_name(p) for p in pm.get_plugins()}
    assert set(names) <= registered
