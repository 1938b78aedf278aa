"""Generalisation hierarchies: how far a quasi-identifier's value can be coarsened, level by level.

A hierarchy turns each distinct value of a column into a row of labels, one per level, from the
value itself (level 0) to the most general label (``*``) — the shape ARX uses for its CSV
hierarchies. The privacy models and the lattice search work on distinct values only, so a
hierarchy is asked about each distinct value once, never about every row.

A value the hierarchy does not cover is an error that names the value and the hierarchy:
silently passing an unknown value through would leave it unprotected.
"""

from __future__ import annotations

import csv
import io
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from citybase.errors import ValidationFailed
from citybase.identifiers.areacodes import lookup_area

TOP = "*"


class Hierarchy(ABC):
    """Maps a distinct value to its labels at levels 0..height-1 (the last one is ``*``)."""

    name: str
    level_names: tuple[str, ...]

    @property
    def height(self) -> int:
        return len(self.level_names)

    @abstractmethod
    def labels(self, value: object) -> tuple[str, ...]:
        """Labels of one value at every level; raise ``ValidationFailed`` when not covered."""

    def level_index(self, level: int | str) -> int:
        """A level given by number or by name (``"month"``) as its number, or a clear refusal."""
        if isinstance(level, str) and level in self.level_names:
            return self.level_names.index(level)
        if isinstance(level, int) and 0 <= level < self.height:
            return level
        raise ValidationFailed(
            f"hierarchy {self.name!r} has levels 0..{self.height - 1} "
            f"({', '.join(self.level_names)}); got {level!r}",
            field="level",
        )

    def table(self, values: Sequence[object]) -> list[tuple[str, ...]]:
        """Labels for each of ``values`` (distinct values of a column), in the same order."""
        return [self.labels(v) for v in values]

    def _not_covered(self, value: object, why: str) -> ValidationFailed:
        return ValidationFailed(
            f"value {value!r} is not covered by hierarchy {self.name!r}: {why}", field=self.name
        )


@dataclass
class DateHierarchy(Hierarchy):
    """day → month → year → decade → ``*``; accepts ``date`` objects and ISO strings."""

    name: str = "date"
    level_names: tuple[str, ...] = ("day", "month", "year", "decade", TOP)

    def labels(self, value: object) -> tuple[str, ...]:
        day = _as_date(value)
        if day is None:
            raise self._not_covered(value, "expected a date such as 2021-06-30")
        decade = day.year - day.year % 10
        return (
            day.isoformat(),
            f"{day.year:04d}-{day.month:02d}",
            f"{day.year:04d}",
            f"{decade:04d}-{decade + 9:04d}",
            TOP,
        )


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@dataclass
class IntervalHierarchy(Hierarchy):
    """Numbers → nested intervals of growing width → ``*``.

    Each width must divide the next so that intervals nest (a 5-year band lies inside one
    10-year band); values outside ``[lower, upper)`` are not covered.
    """

    widths: Sequence[float] = (5, 10, 20)
    lower: float = 0
    upper: float = 150
    name: str = "number"
    level_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.widths or any(w <= 0 for w in self.widths):
            raise ValidationFailed(
                f"hierarchy {self.name!r}: widths must be positive, got {list(self.widths)}",
                field="widths",
            )
        for small, big in zip(self.widths, self.widths[1:], strict=False):
            if big % small != 0:
                raise ValidationFailed(
                    f"hierarchy {self.name!r}: width {big} is not a multiple of {small}; "
                    "intervals must nest",
                    field="widths",
                )
        if self.upper <= self.lower:
            raise ValidationFailed(
                f"hierarchy {self.name!r}: upper {self.upper} must exceed lower {self.lower}",
                field="upper",
            )
        self.level_names = ("value", *(f"width {_fmt(w)}" for w in self.widths), TOP)

    def labels(self, value: object) -> tuple[str, ...]:
        number = _as_number(value)
        if number is None:
            raise self._not_covered(value, "expected a number")
        if not self.lower <= number < self.upper:
            raise self._not_covered(
                value, f"outside the range [{_fmt(self.lower)}, {_fmt(self.upper)})"
            )
        out = [_fmt(number)]
        for width in self.widths:
            out.append(interval_label(number, width, self.lower))
        out.append(TOP)
        return tuple(out)


def interval_label(number: float, width: float, origin: float = 0) -> str:
    """``[20, 25)`` for 23 with width 5: the half-open band that contains the number."""
    low = origin + ((number - origin) // width) * width
    return f"[{_fmt(low)}, {_fmt(low + width)})"


def age_hierarchy() -> IntervalHierarchy:
    """Ages: 1 → 5 → 10 → 20 → ``*`` years, over 0..159."""
    return IntervalHierarchy(widths=(5, 10, 20), lower=0, upper=160, name="age")


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value else None  # NaN is not a number here
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


@dataclass
class DivisionHierarchy(Hierarchy):
    """GB/T 2260 county code → prefecture → province → ``*`` (codes, e.g. 320102 → 320100)."""

    name: str = "division"
    level_names: tuple[str, ...] = ("county", "prefecture", "province", TOP)

    def labels(self, value: object) -> tuple[str, ...]:
        code = str(value).strip() if value is not None else ""
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise self._not_covered(value, "expected a six-digit GB/T 2260 division code")
        if lookup_area(code) is None and not code.endswith("00"):
            raise self._not_covered(value, "no such division code in GB/T 2260")
        return (code, code[:4] + "00", code[:2] + "0000", TOP)


CITY_SUFFIXES = ("市", "自治州", "盟", "地区")
DISTRICT_SUFFIXES = ("区", "县", "旗")
STREET_SUFFIXES = ("街道", "镇", "乡")


def _first_end(address: str, suffixes: tuple[str, ...], start: int) -> int:
    ends = [at + len(s) for s in suffixes if (at := address.find(s, start)) >= 0]
    return min(ends) if ends else -1


def address_prefix(address: str, level: str) -> str | None:
    """The address cut after its street (街道/镇/乡), district (区/县/旗) or city (市/州/盟/地区).

    Each part is looked for after the coarser one (so 镇江市 is a city, not a town): the city
    is the shortest prefix of at least two characters ending in a city suffix; the district
    ends at the first district suffix after the city (or after the first character when no
    city is written), the street at the first street suffix after that. A level that is not
    written falls back to the next coarser one; None when not even a city is found.
    """
    city = _first_end(address, CITY_SUFFIXES, 1)
    district = _first_end(address, DISTRICT_SUFFIXES, max(city, 1))
    street = _first_end(address, STREET_SUFFIXES, max(district, city, 1))
    chain = {"street": (street, district, city), "district": (district, city), "city": (city,)}
    for end in chain[level]:
        if end >= 0:
            return address[:end]
    return None


@dataclass
class AddressHierarchy(Hierarchy):
    """Address text → street → district → city → ``*``, cut at the division suffixes."""

    name: str = "address"
    level_names: tuple[str, ...] = ("address", "street", "district", "city", TOP)

    def labels(self, value: object) -> tuple[str, ...]:
        if not isinstance(value, str) or not value.strip():
            raise self._not_covered(value, "expected address text")
        city = address_prefix(value, "city")
        if city is None:
            raise self._not_covered(value, "no city (市/自治州/盟/地区) found in the address")
        district = address_prefix(value, "district") or city
        street = address_prefix(value, "street") or district
        return (value, street, district, city, TOP)


class CsvHierarchy(Hierarchy):
    """A user-supplied hierarchy in ARX's CSV shape: one row per value, one column per level.

    The last column is usually ``*``; the file is checked to be a real hierarchy: every row
    has the same number of columns and a label never has two different parents.
    """

    def __init__(self, rows: Mapping[str, tuple[str, ...]], *, name: str) -> None:
        self.name = name
        self._rows = dict(rows)
        height = len(next(iter(self._rows.values())))
        self.level_names = tuple(f"level {i}" for i in range(height))

    @classmethod
    def from_csv(cls, source: str | Path, *, name: str | None = None) -> CsvHierarchy:
        """Read a file path, or CSV text when ``source`` contains a newline; , or ; separated."""
        if isinstance(source, Path) or "\n" not in source:
            path = Path(source)
            if not path.is_file():
                raise ValidationFailed(f"hierarchy file {str(path)!r} does not exist", field="path")
            text = path.read_text("utf-8-sig")
            name = name or path.stem
        else:
            text = source
            name = name or "csv"
        return cls(_parse_rows(text, name), name=name)

    def labels(self, value: object) -> tuple[str, ...]:
        key = "" if value is None else str(value)
        found = self._rows.get(key)
        if found is None:
            raise self._not_covered(value, "add a row for it to the hierarchy file")
        return found


def _parse_rows(text: str, name: str) -> dict[str, tuple[str, ...]]:
    first = text.lstrip().split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows: dict[str, tuple[str, ...]] = {}
    parents: dict[tuple[int, str], str] = {}
    width = 0
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        cells = tuple(cell.strip() for cell in row)
        if width == 0:
            width = len(cells)
            if width < 2:
                raise ValidationFailed(
                    f"hierarchy {name!r} row {number}: needs at least two columns "
                    "(the value and a generalisation)",
                    field=name,
                )
        if len(cells) != width:
            raise ValidationFailed(
                f"hierarchy {name!r} row {number}: has {len(cells)} columns, expected {width}",
                field=name,
            )
        if cells[0] in rows and rows[cells[0]] != cells:
            raise ValidationFailed(
                f"hierarchy {name!r} row {number}: value {cells[0]!r} appears twice",
                field=name,
            )
        for level in range(1, width - 1):
            seen = parents.setdefault((level, cells[level]), cells[level + 1])
            if seen != cells[level + 1]:
                raise ValidationFailed(
                    f"hierarchy {name!r} row {number}: label {cells[level]!r} at level {level} "
                    f"has two parents ({seen!r} and {cells[level + 1]!r}); labels must nest",
                    field=name,
                )
        rows[cells[0]] = cells
    if not rows:
        raise ValidationFailed(f"hierarchy {name!r} has no rows", field=name)
    return rows


def builtin_csv_hierarchy(dataset: str, attribute: str) -> CsvHierarchy:
    """A hierarchy shipped in ``privacy/data/hierarchies/<dataset>/<attribute>.csv``."""
    base = resources.files("citybase.privacy") / "data" / "hierarchies" / dataset
    entry = base / f"{attribute}.csv"
    if not entry.is_file():
        raise ValidationFailed(
            f"no built-in hierarchy {dataset}/{attribute}.csv in citybase.privacy",
            field="hierarchy",
        )
    return CsvHierarchy(
        _parse_rows(entry.read_text("utf-8-sig"), attribute), name=f"{dataset}/{attribute}"
    )


def builtin_hierarchy(kind: str) -> Hierarchy:
    """The built-in hierarchy called ``kind``: date, age, division or address."""
    makers: dict[str, Hierarchy] = {
        "date": DateHierarchy(),
        "age": age_hierarchy(),
        "division": DivisionHierarchy(),
        "address": AddressHierarchy(),
    }
    if kind not in makers:
        raise ValidationFailed(
            f"unknown built-in hierarchy {kind!r}; choose one of {', '.join(sorted(makers))}, "
            "an IntervalHierarchy for numbers, or a CSV file",
            field="hierarchy",
        )
    return makers[kind]
