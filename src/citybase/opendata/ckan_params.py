"""Reading CKAN Action API parameters.

CKAN clients send loosely typed input: numbers and booleans as strings in GET query strings,
lists and objects as JSON text (``facet.field=["tags"]``, ``filters={"区": "黄浦"}``) or as
real JSON in POST bodies, and Solr-style sort strings (filter queries: ``ckan_fq``). This
module turns that input into typed values and refuses anything it cannot read with a message
naming the parameter and what it expected. It knows nothing about datasets or files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any, Literal

from citybase.errors import ValidationFailed

Direction = Literal["asc", "desc"]

_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n", ""})


class SearchQueryInvalid(ValidationFailed):
    """An ``fq``/``q`` filter query that cannot be read (CKAN's "Search Query Error", 400)."""

    status = 400
    code = "search_query_error"


# --- scalars -----------------------------------------------------------------------------


def get_str(data: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ValidationFailed(f"Missing value: give '{name}'.", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationFailed(
            f"'{name}' must be a string, not {type(value).__name__}.", field=name
        )
    return str(value)


def get_int(
    data: Mapping[str, Any],
    name: str,
    *,
    default: int,
    minimum: int = 0,
    maximum: int | None = None,
) -> int:
    """An integer parameter; ``maximum`` is a hard limit (a larger value is refused)."""
    value = data.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValidationFailed(f"Invalid integer: '{name}' must be a whole number.", field=name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise ValidationFailed(
            f"Invalid integer: '{name}' must be a whole number, got {value!r}.", field=name
        )
    if value < minimum:
        raise ValidationFailed(f"'{name}' must be at least {minimum}, got {value}.", field=name)
    if maximum is not None and value > maximum:
        raise ValidationFailed(f"'{name}' must be at most {maximum}, got {value}.", field=name)
    return value


def get_bool(data: Mapping[str, Any], name: str, *, default: bool) -> bool:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return default if low == "" else False
    raise ValidationFailed(f"'{name}' must be true or false, got {value!r}.", field=name)


def get_json(data: Mapping[str, Any], name: str) -> Any:
    """A value that GET clients send as JSON text and POST clients as real JSON."""
    value = data.get(name)
    if isinstance(value, str) and value.strip()[:1] in ("[", "{", '"'):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                f"'{name}' is not valid JSON ({exc.msg} at character {exc.pos}).", field=name
            ) from None
        except RecursionError:
            raise ValidationFailed(
                f"'{name}' nests arrays or objects too deeply to read.", field=name
            ) from None
    return value


def get_str_list(data: Mapping[str, Any], name: str) -> list[str] | None:
    """A list of names: a JSON list, a JSON list as text, or comma-separated text."""
    value = get_json(data, name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    raise ValidationFailed(
        f"'{name}' must be a list of names (JSON list or comma-separated text).", field=name
    )


# --- sort --------------------------------------------------------------------------------


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def parse_sort(
    text: str,
    *,
    param: str,
    allowed: Collection[str],
    aliases: Mapping[str, str] | None = None,
) -> list[tuple[str, Direction]]:
    """``"a desc, \\"带 空格\\" asc, b"`` → ``[("a","desc"), ("带 空格","asc"), ("b","asc")]``.

    Names may be double-quoted (for column names with spaces or commas); direction defaults
    to ascending. ``aliases`` maps accepted synonyms onto names in ``allowed``.
    """
    aliases = aliases or {}
    out: list[tuple[str, Direction]] = []
    for raw in _split_outside_quotes(text, ","):
        part = raw.strip()
        if not part:
            continue
        direction: Direction = "asc"
        name = part
        match = re.fullmatch(r"(.*?)\s+(asc|desc)", part, flags=re.IGNORECASE | re.S)
        if match:
            name = match.group(1).strip()
            direction = "desc" if match.group(2).lower() == "desc" else "asc"
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1]
        elif '"' in name or re.search(r"\s", name):
            raise ValidationFailed(
                f"Cannot read sort item {part!r}: write 'field', 'field asc' or 'field desc' "
                'and quote names that contain spaces ("my field" desc).',
                field=param,
            )
        name = aliases.get(name, name)
        if name not in allowed:
            known = ", ".join(sorted(allowed))
            raise ValidationFailed(
                f"Cannot sort by '{name}': it is not a field here. Sortable fields: {known}.",
                field=param,
            )
        out.append((name, direction))
    return out
