"""GB/T 2260 division codes and landline area codes, loaded once from the shipped CSV files.

Identity numbers and credit codes carry a six-digit division code; a number whose code was
never assigned is a typo or a fabrication, so validators look codes up here. The files are
reference data extracted at development time (provenance in their header comments); a
deployment may replace them with a newer vintage without touching code.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import numpy.typing as npt

from citybase.errors import ConfigurationError, ValidationFailed

AreaStatus = Literal["current", "historic", "statistical", "permit"]
_STATUSES: frozenset[str] = frozenset({"current", "historic", "statistical", "permit"})


@dataclass(frozen=True, slots=True)
class AreaCode:
    """One county-level division: its code, names, and whether it is still in use."""

    code: str
    name: str
    province: str
    prefecture: str
    status: AreaStatus

    @property
    def full_name(self) -> str:
        """Province + prefecture + county, without repeating a municipality's name."""
        parts = [self.province]
        for part in (self.prefecture, self.name):
            if part != parts[-1] and part not in {"市辖区", "省直辖县级行政区划"}:
                parts.append(part)
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class LandlineArea:
    """A long-distance area code (长途区号) and the city it serves."""

    code: str
    province: str
    city: str


def _data_rows(filename: str) -> Iterator[dict[str, str]]:
    text_path = resources.files("citybase.identifiers") / "data" / filename
    text = text_path.read_text("utf-8")
    lines = (line for line in text.splitlines() if line and not line.startswith("#"))
    yield from csv.DictReader(lines)


@cache
def area_codes() -> Mapping[str, AreaCode]:
    """Every known county-level code (current, historic, statistical, permit), by code."""
    result: dict[str, AreaCode] = {}
    for row in _data_rows("area_codes.csv"):
        status = row["status"]
        if status not in _STATUSES:
            raise ConfigurationError(
                f"area_codes.csv: code {row['code']} has unknown status {status!r}", field="status"
            )
        result[row["code"]] = AreaCode(
            code=row["code"],
            name=row["name"],
            province=row["province"],
            prefecture=row["prefecture"],
            status=status,  # type: ignore[arg-type]
        )
    return result


def lookup_area(code: str) -> AreaCode | None:
    """The division with this six-digit code, or None when the code was never assigned."""
    return area_codes().get(code)


def is_known_area_code(code: str) -> bool:
    return code in area_codes()


def areas_with_status(statuses: Iterable[AreaStatus] = ("current",)) -> list[AreaCode]:
    """Divisions in code order, e.g. only current ones for generating new numbers."""
    wanted = set(statuses)
    return [a for a in area_codes().values() if a.status in wanted]


def areas_in_prefecture(
    prefix: str, statuses: Iterable[AreaStatus] = ("current",)
) -> list[AreaCode]:
    """Current divisions whose code starts with a prefecture prefix such as ``"3201"``."""
    if len(prefix) not in (2, 4) or not (prefix.isascii() and prefix.isdigit()):
        raise ValidationFailed(
            f"prefix: must be 2 or 4 digits (province or prefecture), got {prefix!r}",
            field="prefix",
        )
    return [a for a in areas_with_status(statuses) if a.code.startswith(prefix)]


@cache
def known_area_code_array() -> npt.NDArray[np.int64]:
    """Sorted integer codes, for vectorised membership tests with ``np.searchsorted``."""
    return np.array(sorted(int(c) for c in area_codes()), dtype=np.int64)


def area_codes_known_array(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Element-wise "is this integer code a known division" for millions of values at once."""
    known = known_area_code_array()
    pos = np.searchsorted(known, codes).clip(0, len(known) - 1)
    return np.asarray(known[pos] == codes)


@cache
def landline_area_codes() -> Mapping[str, LandlineArea]:
    """Long-distance area codes with their leading zero (``"025"``), by code."""
    return {
        row["code"]: LandlineArea(code=row["code"], province=row["province"], city=row["city"])
        for row in _data_rows("landline_area_codes.csv")
    }
