"""The categories the classifier chooses from, read from the city's event_categories.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from citybase.errors import ValidationFailed

if TYPE_CHECKING:
    from citybase.settings import Settings


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    keywords: tuple[str, ...]


def default_categories_path(settings: Settings) -> Path:
    return settings.effective_taxonomy_dir / "event_categories.yaml"


def load_categories(path: Path) -> list[Category]:
    """Every category in the file, in file order; a clear error if the file is unusable."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationFailed(f"category file not found: {path}", field="categories") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            f"{path} is not a readable YAML file: {exc}", field="categories"
        ) from None
    items = raw.get("categories") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationFailed(f"{path} has no 'categories' list", field="categories")
    out: list[Category] = []
    seen: set[str] = set()
    for n, item in enumerate(items, 1):
        code = item.get("code") if isinstance(item, dict) else None
        if not isinstance(code, str) or not code:
            raise ValidationFailed(f"{path}: category #{n} has no code", field="categories")
        if code in seen:
            raise ValidationFailed(f"{path}: category {code} appears twice", field="categories")
        seen.add(code)
        keywords = item.get("keywords") or []
        out.append(
            Category(
                code=code,
                name_zh=str(item.get("name_zh") or code),
                name_en=str(item.get("name_en") or code),
                keywords=tuple(str(k) for k in keywords),
            )
        )
    return out
