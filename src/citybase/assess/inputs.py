"""Assessment inputs: a YAML request, or a CSV/XLSX table of values; validated as a whole.

Values may be written as numbers, numeric strings (``"2.5"``, ``"85%"``, ``"30 min"``),
mappings ``{value, unit, note}`` or null (missing). A value in another unit of the same
dimension is converted and the conversion recorded; anything else — an unknown indicator,
a wrong unit or type, a value outside its unit's range — is a problem. All problems are
collected and reported together, each naming the indicator and where it came from, and
nothing is computed until there are none.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from citybase.assess.engine import Aggregation
from citybase.assess.framework import Framework, Indicator, UnitInfo, unknown_indicator_message
from citybase.assess.robustness import RobustnessSpec
from citybase.assess.tables import RawCity, read_table, table_cities
from citybase.assess.weights import WeightSpec
from citybase.errors import ValidationFailed

CODE_PATTERN = r"^[A-Za-z0-9_\-]{1,64}$"
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_TRUE = {"yes", "true", "y", "是", "有"}
_FALSE = {"no", "false", "n", "否", "无"}


class CityRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE_PATTERN)
    name: str = ""


class PeerSpec(CityRef):
    values: dict[str, Any] = Field(default_factory=dict)


class RoadmapSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_per_phase: int = Field(8, ge=1, le=40)
    domains: list[str] | None = None  # the N domains to plan for (default: all)


class AssessmentSpec(BaseModel):
    """The options of one assessment; see docs/assess.md for an annotated example."""

    model_config = ConfigDict(extra="forbid")
    city: CityRef
    period: str = Field(pattern=r"^\d{4}([-_/][A-Za-z0-9]{1,3})?$")
    framework: str | None = None
    actions: str | None = None
    weights: WeightSpec = Field(default_factory=WeightSpec)
    aggregation: Aggregation = "geometric"
    values: dict[str, Any] = Field(default_factory=dict)
    values_file: str | None = None
    peers: list[PeerSpec] = Field(default_factory=list)
    peers_file: str | None = None
    live: bool = False
    prefer: Literal["live", "entered"] = "live"
    robustness: RobustnessSpec | None = Field(default_factory=RobustnessSpec)
    roadmap: RoadmapSpec = Field(default_factory=RoadmapSpec)
    note: str = ""


@dataclass
class AssessmentRequest:
    spec: AssessmentSpec
    city: RawCity
    peers: list[RawCity]
    origin: str
    base_dir: Path | None = None  # where relative file names in the request are resolved

    def path(self, name: str | None) -> Path | None:
        """A file named in the request (framework, actions), relative to the request file."""
        if not name:
            return None
        if self.base_dir is None:
            raise ValidationFailed(
                f"'{name}' names a file; files are accepted from the command line only.",
                field="framework",
            )
        return (self.base_dir / name).resolve()


@dataclass(frozen=True)
class ValueRecord:
    indicator: str
    value: float | None
    unit: str
    source: Literal["entered", "live", "missing"]
    origin: str
    entered_as: str | None = None  # the original value and unit when converted
    note: str = ""
    measured_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "origin": self.origin,
            "entered_as": self.entered_as,
            "note": self.note,
            "measured_at": self.measured_at,
        }


@dataclass
class CityValues:
    code: str
    name: str
    records: dict[str, ValueRecord]


class Problems:
    """Collects input problems so that all of them are reported at once."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, message: str) -> None:
        self.items.append((where, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = [f"{where}: {msg}" for where, msg in self.items[:25]]
        more = len(self.items) - len(shown)
        tail = f"\n  … and {more} more" if more > 0 else ""
        n = len(self.items)
        raise ValidationFailed(
            f"{self.origin}: {n} problem{'s' if n > 1 else ''} in the input; nothing was "
            "computed:\n  " + "\n  ".join(shown) + tail,
            field=self.items[0][0],
        )


# --- single values ---------------------------------------------------------------------------


class ValueProblem(Exception):
    """A value that cannot be accepted; the message says why and what to enter instead."""


def _split(raw: Any, ind: Indicator, fw: Framework) -> tuple[float | None, str | None, str]:
    """(number, unit as written or None, note) from any accepted raw form."""
    boolean = fw.units[ind.unit].boolean
    if raw is None:
        return None, None, ""
    if isinstance(raw, dict):
        unknown = set(raw) - {"value", "unit", "note"}
        if unknown or "value" not in raw:
            raise ValueProblem("write a mapping as {value: …, unit: …, note: …}")
        number, unit, _ = _split(raw["value"], ind, fw)
        given = raw.get("unit")
        return number, (str(given) if given is not None else unit), str(raw.get("note") or "")
    if isinstance(raw, bool):
        if not boolean:
            raise ValueProblem(f"is {str(raw).lower()}, but it is measured in {ind.unit}")
        return (1.0 if raw else 0.0), None, ""
    if isinstance(raw, int | float):
        return float(raw), None, ""
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None, None, ""
        if boolean and text.casefold() in _TRUE | _FALSE:
            return (1.0 if text.casefold() in _TRUE else 0.0), None, ""
        match = _NUMBER.match(text)
        if not match:
            raise ValueProblem(f"'{raw}' is not a number (the indicator is measured in {ind.unit})")
        return float(match.group(1)), (match.group(2) or None), ""
    raise ValueProblem(f"has type {type(raw).__name__}; give a number in {ind.unit}")


def _check_range(number: float, unit_key: str, unit: UnitInfo) -> None:
    if unit.boolean and number not in (0.0, 1.0):
        raise ValueProblem(f"{number:g} is not a yes/no value; enter 1 (yes) or 0 (no)")
    if unit.min is not None and number < unit.min:
        raise ValueProblem(f"{number:g} {unit_key} is below the smallest possible {unit.min:g}")
    if unit.max is not None and number > unit.max:
        hint = " — was it entered in another unit?" if unit_key != "%" else ""
        raise ValueProblem(
            f"{number:g} {unit_key} is above the largest possible value {unit.max:g}{hint}"
        )


def coerce_value(fw: Framework, ind: Indicator, raw: Any) -> tuple[float | None, str | None, str]:
    """Validated value in the indicator's unit, the original when converted, and a note."""
    number, unit_as_written, note = _split(raw, ind, fw)
    if number is None:
        return None, None, note
    if not math.isfinite(number):
        raise ValueProblem(f"{number} is not a finite number")
    entered_as = None
    target = fw.units[ind.unit]
    if unit_as_written is not None:
        key = fw.resolve_unit(unit_as_written)
        if key is None:
            raise ValueProblem(
                f"unit '{unit_as_written}' is not known; the indicator is measured in "
                f"{ind.unit} (declared units: {', '.join(fw.units)})"
            )
        if key != ind.unit:
            source = fw.units[key]
            if source.dimension != target.dimension:
                raise ValueProblem(
                    f"is in {key} ({source.dimension}) but the indicator is measured in "
                    f"{ind.unit} ({target.dimension}); these cannot be converted"
                )
            _check_range(number, key, source)
            entered_as = f"{number:g} {key}"
            number = number * source.factor / target.factor
    _check_range(number, ind.unit, target)
    return number, entered_as, note


def parse_city(fw: Framework, raw: RawCity, problems: Problems) -> CityValues:
    known = {ind.id: ind for ind in fw.indicators}
    records: dict[str, ValueRecord] = {}
    for ind_id, (value, where) in raw.values.items():
        ind = known.get(ind_id)
        if ind is None:
            problems.add(where, unknown_indicator_message(fw, ind_id))
            continue
        try:
            number, entered_as, note = coerce_value(fw, ind, value)
        except ValueProblem as exc:
            problems.add(where, f"indicator '{ind_id}': {exc}")
            continue
        records[ind_id] = ValueRecord(
            indicator=ind_id,
            value=number,
            unit=ind.unit,
            source="entered" if number is not None else "missing",
            origin=where,
            entered_as=entered_as,
            note=note,
        )
    return CityValues(raw.code, raw.name, records)


# --- requests --------------------------------------------------------------------------------


def _spec_from(raw: object, origin: str) -> AssessmentSpec:
    if not isinstance(raw, dict):
        raise ValidationFailed(f"{origin}: expected a mapping (city, period, values …).")
    try:
        return AssessmentSpec.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        ]
        first = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise ValidationFailed(
            f"{origin}: invalid assessment request:\n  " + "\n  ".join(lines[:15]), field=first
        ) from None


def request_from_spec(
    spec: AssessmentSpec, *, base_dir: Path | None, origin: str
) -> AssessmentRequest:
    city = RawCity(
        spec.city.code,
        spec.city.name,
        {k: (v, f"values.{k}") for k, v in spec.values.items()},
    )
    peers = [
        RawCity(p.code, p.name, {k: (v, f"peers[{p.code}].{k}") for k, v in p.values.items()})
        for p in spec.peers
    ]
    for attr in ("values_file", "peers_file"):
        name = getattr(spec, attr)
        if not name:
            continue
        if base_dir is None:
            raise ValidationFailed(f"{attr} is only allowed in files read from disk.", field=attr)
        path = (base_dir / name).resolve()
        tables = table_cities(read_table(path), path.name)
        if attr == "values_file":
            picked = tables.get(spec.city.code) or tables.get("")
            if picked is None:
                raise ValidationFailed(
                    f"{path.name} has no values for city '{spec.city.code}' "
                    f"(cities: {', '.join(sorted(tables)) or 'none'}).",
                    field=attr,
                )
            for k, v in picked.values.items():
                if k in city.values:
                    raise ValidationFailed(
                        f"indicator '{k}' is given both in {origin} and in {path.name}.", field=k
                    )
                city.values[k] = v
        else:
            peers.extend(c for code, c in tables.items() if code and code != spec.city.code)
    codes = [p.code for p in peers]
    for code in codes:
        if codes.count(code) > 1 or code == spec.city.code:
            raise ValidationFailed(f"peer city '{code}' is listed twice.", field="peers")
    return AssessmentRequest(spec, city, peers, origin, base_dir)


def load_request(
    path: Path, *, city: str | None = None, period: str | None = None
) -> AssessmentRequest:
    """A request from a YAML file, or from a CSV/XLSX table plus ``city`` and ``period``."""
    origin = path.name
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValidationFailed(f"Input file not found: {path}", field="input") from None
        except yaml.YAMLError as exc:
            raise ValidationFailed(f"{path} is not valid YAML: {exc}", field="input") from None
        if isinstance(raw, dict):
            if city:
                raw["city"] = {**(raw.get("city") or {}), "code": city}
            if period:
                raw["period"] = period
        return request_from_spec(_spec_from(raw, origin), base_dir=path.parent, origin=origin)
    rows = read_table(path)
    tables = table_cities(rows, origin)
    if len(tables) == 1:
        only_code, only = next(iter(tables.items()))
        code = city or only_code or path.stem
        picked, others = only, []
    else:
        if not city or city not in tables:
            raise ValidationFailed(
                f"{origin} holds {len(tables)} cities ({', '.join(sorted(tables))}); choose the "
                "one to assess with --city (the others become its peers).",
                field="city",
            )
        code, picked = city, tables[city]
        others = [c for k, c in tables.items() if k != city]
    table_period = next((str(r["period"]) for r in rows if r.get("period")), None)
    if not (period or table_period):
        raise ValidationFailed(
            f"{origin}: give the assessment period with --period (e.g. 2025).", field="period"
        )
    spec = _spec_from(
        {"city": {"code": code, "name": picked.name}, "period": period or table_period}, origin
    )
    picked = RawCity(code, picked.name, picked.values)
    return AssessmentRequest(spec, picked, others, origin)
