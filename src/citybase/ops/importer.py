"""Reading a city's case history from CSV (UTF-8 or GBK/GB18030) or XLSX.

Headers in Chinese or English (``HEADERS``); times ISO 8601, naive ones in city time. Each
bad cell is refused with its row and column; nothing is written unless every row is good.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl

from citybase.errors import ValidationFailed
from citybase.ops.history import HistoricalCase, check
from citybase.settings import Settings
from citybase.worktime import clock_for

HEADERS = {
    "受理时间": "created_at", "内容": "text", "类别": "category", "渠道": "channel",
    "部门": "department", "经度": "lon", "纬度": "lat", "派遣时间": "dispatched_at",
    "处置时间": "handled_at", "结案时间": "closed_at", "返工次数": "rework_count",
    "延期小时": "extension_hours", "满意度": "satisfaction", "处置结果": "result",
    "编号": "external_ref",
}  # fmt: skip
FIELDS = set(HEADERS.values())
REQUIRED = ("created_at", "text", "category", "handled_at", "closed_at")
TIMES = ("created_at", "dispatched_at", "handled_at", "closed_at")


def _decode(raw: bytes) -> str:
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("file: neither UTF-8 nor GBK/GB18030 text.", field="file")


def _records(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        book.close()
    elif path.suffix.lower() == ".csv":
        rows = [list(r) for r in csv.reader(io.StringIO(_decode(path.read_bytes())))]
    else:
        raise ValidationFailed(f"file: {path.name}: give a .csv or .xlsx file.", field="file")
    if not rows:
        raise ValidationFailed("file: the file is empty.", field="file")
    header = [HEADERS.get(str(h).strip(), str(h).strip()) for h in rows[0]]
    unknown = [h for h in header if h and h not in FIELDS]
    missing = [f for f in REQUIRED if f not in header]
    if unknown or missing:
        raise ValidationFailed(
            f"header: unknown columns {unknown or 'none'}, missing {missing or 'none'}; "
            f"columns are {', '.join(HEADERS)} (or {', '.join(sorted(FIELDS))}).",
            field="header",
        )
    return [
        dict(zip(header, r, strict=False)) for r in rows[1:] if any(c not in (None, "") for c in r)
    ]


def _time(value: Any, settings: Settings, where: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationFailed(
                f"{where}: '{value}' is not a time (ISO 8601).", field=where
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock_for(settings).tz)
    return parsed.astimezone(dt.UTC)


def _number(value: Any, where: str, kind: type) -> Any:
    if value in (None, ""):
        return kind(0)
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{where}: '{value}' is not a number.", field=where) from None


def read_history(path: Path, settings: Settings) -> list[HistoricalCase]:
    out = []
    for i, rec in enumerate(_records(path), start=2):
        where = f"row {i}"
        times = {f: _time(rec.get(f), settings, f"{where}: {f}") for f in TIMES}
        if times["created_at"] is None:
            raise ValidationFailed(
                f"{where}: created_at: give the time it was received.", field="created_at"
            )
        lon, lat = rec.get("lon"), rec.get("lat")
        out.append(
            HistoricalCase(
                created_at=times["created_at"],
                text=str(rec.get("text") or ""),
                category=str(rec.get("category") or "").strip(),
                channel=str(rec.get("channel") or "import").strip(),
                department=str(rec["department"]).strip() if rec.get("department") else None,
                lon=_number(lon, f"{where}: lon", float) if lon not in (None, "") else None,
                lat=_number(lat, f"{where}: lat", float) if lat not in (None, "") else None,
                dispatched_at=times["dispatched_at"],
                handled_at=times["handled_at"],
                closed_at=times["closed_at"],
                rework_count=_number(rec.get("rework_count"), f"{where}: rework_count", int),
                extension_hours=_number(
                    rec.get("extension_hours"), f"{where}: extension_hours", float
                ),
                satisfaction=str(rec["satisfaction"]).strip() if rec.get("satisfaction") else None,
                result=str(rec.get("result") or ""),
                external_ref=str(rec.get("external_ref") or ""),
            )
        )
        check(out[-1], settings, i)  # refused with the file's line number
    return out
