"""Open311 GeoReport v2 documents: the same rows as JSON (a list) or XML (a root element of
repeated children), UTF-8 with the XML declaration, and the spec's error list."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

FORMATS = ("json", "xml")
MEDIA = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
#: Phone numbers and ID numbers a reporter may have written into the description: public
#: lists show them masked (the text itself is kept whole for the staff).
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")


def mask_text(text: str) -> str:
    return _ID_NUMBER.sub(r"\1********\2", _MOBILE.sub(r"\1****\2", text))


def iso(value: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    """ISO 8601 with the city's offset, e.g. ``2026-12-08T10:15:30+08:00`` (the spec's w3
    subset: seconds, and always a zone)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz).isoformat(timespec="seconds")


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, key: str, value: Any, item_tags: Mapping[str, str]) -> None:
    el = ET.SubElement(parent, key)
    if isinstance(value, list):
        tag = item_tags.get(key, key.rstrip("s"))
        for item in value:
            child = ET.SubElement(el, tag)
            for k, v in item.items():
                _append(child, k, v, item_tags)
    elif isinstance(value, dict):
        for k, v in value.items():
            _append(el, k, v, item_tags)
    else:
        el.text = _xml_value(value)


def to_xml(root: str, item: str, rows: Sequence[Mapping[str, Any]], **tags: str) -> bytes:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        for k, v in row.items():
            _append(el, k, v, tags)
    body = ET.tostring(top, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def document(
    fmt: str,
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    root: str,
    item: str,
    status: int = 200,
    **tags: str,
) -> Response:
    """JSON: the list (or one object, for a service definition); XML: ``<root><item>…``."""
    if fmt == "json":
        content = json.dumps(rows, ensure_ascii=False).encode("utf-8")
    elif isinstance(rows, Mapping):
        top = ET.Element(root)
        for k, v in rows.items():
            _append(top, k, v, tags)
        content = ('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
            top, encoding="unicode")).encode("utf-8")  # fmt: skip
    else:
        content = to_xml(root, item, rows, **tags)
    return Response(content, status_code=status, media_type=MEDIA[fmt])


def errors(fmt: str, status: int, description: str) -> Response:
    """The spec's error list: ``[{"code": 403, "description": "…"}]`` / ``<errors>``."""
    row = {"code": status, "description": description}
    return document(fmt if fmt in FORMATS else "xml", [row], root="errors", item="error",
                    status=status)  # fmt: skip
