"""UI strings: zh-CN by default, English switchable. Catalogs are YAML files plus plug-ins'."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from fastapi import Request

from citybase.plugins import get_plugin_manager

LOCALES = ("zh-CN", "en")
LANG_COOKIE = "citybase_lang"
_DIR = Path(__file__).parent / "locales"


def load_messages(path: Path) -> dict[str, str]:
    """A flat ``key: text`` YAML catalog; empty when the file does not exist.

    Domains call this from their ``citybase_translations`` hook; ``catalog`` caches the merge.
    """
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in raw.items()}


@lru_cache(maxsize=4)
def catalog(locale: str) -> dict[str, str]:
    messages = load_messages(_DIR / f"{locale}.yaml")
    for extra in get_plugin_manager().hook.citybase_translations(locale=locale):
        messages.update(extra or {})
    return messages


def translate(locale: str, key: str, **kwargs: object) -> str:
    text = catalog(locale).get(key) or catalog("zh-CN").get(key) or key
    return text.format(**kwargs) if kwargs else text


def request_locale(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if lang in LOCALES:
        return lang
    default: str = request.app.state.settings.locale
    return default
