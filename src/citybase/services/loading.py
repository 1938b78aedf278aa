"""Reading the domain's data files (catalogue, rules, bundles, tests) with line numbers.

Every mapping read from YAML carries the line it starts on under the key ``__line__``, so
a refusal can say ``catalogue.yaml:57: items[3] (MZJ-0001): promised_days: …``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from citybase.errors import ConfigurationError
from citybase.settings import Settings

HERE = Path(__file__).parent
SHIPPED = HERE / "data"
LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    pass


def _mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping  # type: ignore[return-value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read ({exc.strerror}).") from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigurationError(f"{path}{where}: not valid YAML ({exc}).") from exc


def strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def line_of(value: Any) -> int | None:
    return value.get(LINE) if isinstance(value, dict) else None


def explain(exc: ValidationError) -> str:
    """A pydantic error as ``field.path: message`` (the first error; the rest counted)."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(entry)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{loc}: {first['msg']}{more}"


def data_dir_of(settings: Settings | None) -> Path:
    """The city's own services directory (``taxonomy_dir/services``) if it has one, else ours."""
    if settings is not None and settings.taxonomy_dir is not None:
        own = settings.taxonomy_dir / "services"
        if own.is_dir():
            return own
    return SHIPPED
