"""Every message a person reads exists in zh-CN and in English.

Scans every template directory the plug-ins register and the Python sources for literal
message ids (``t("…")`` in templates, ``translate(locale, "…")`` in code) and fails on an id
missing from either catalog, so an untranslated page cannot land. Catalogs must also agree:
an id present in one language and not the other is a half-translated message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import citybase
from citybase.plugins import get_plugin_manager
from citybase.web.i18n import LOCALES, catalog

TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.\-]+)["']\s*[,)]""")
TEMPLATE_PREFIX = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.\-]+\.)["']\s*~""")
PYTHON_KEY = re.compile(r"""\btranslate\(\s*[A-Za-z_.]+\s*,\s*["']([A-Za-z0-9_.\-]+)["']""")


def template_files() -> list[Path]:
    dirs = [Path(citybase.__file__).parent / "web" / "templates"]
    for more in get_plugin_manager().hook.citybase_template_dirs():
        dirs.extend(more)
    return sorted({f for d in dirs for f in d.rglob("*.html")})


def python_files() -> list[Path]:
    return sorted(Path(citybase.__file__).parent.rglob("*.py"))


def used_ids() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    keys: dict[str, set[str]] = {}
    prefixes: dict[str, set[str]] = {}
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        for key in TEMPLATE_KEY.findall(text):
            keys.setdefault(key, set()).add(path.name)
        for prefix in TEMPLATE_PREFIX.findall(text):
            prefixes.setdefault(prefix, set()).add(path.name)
    for path in python_files():
        for key in PYTHON_KEY.findall(path.read_text(encoding="utf-8")):
            keys.setdefault(key, set()).add(path.name)
    return keys, prefixes


def test_the_scan_finds_the_pages_messages() -> None:
    keys, prefixes = used_ids()
    assert len(keys) > 300 and "auth.login" in keys and "geo.level." in prefixes


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_id_used_is_translated(locale: str) -> None:
    messages = catalog(locale)
    keys, prefixes = used_ids()
    missing = {k: sorted(files) for k, files in keys.items() if k not in messages}
    assert not missing, f"message ids missing from {locale}: {missing}"
    empty = {
        p: sorted(files)
        for p, files in prefixes.items()
        if not any(m.startswith(p) for m in messages)
    }
    assert not empty, f"no {locale} message under these prefixes: {empty}"


def test_catalogs_have_the_same_ids() -> None:
    zh, en = set(catalog("zh-CN")), set(catalog("en"))
    assert sorted(zh - en) == [], "in zh-CN only"
    assert sorted(en - zh) == [], "in en only"
