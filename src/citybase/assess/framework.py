"""The indicator framework as data: loaded from YAML, validated whole, compiled to arrays.

A framework names the eight elements, maps them onto the B/T/E axes, lists domains,
phases (with the element-score threshold each phase asks for), units, and indicators with
their goalposts. Cities replace the shipped default with their own file; every problem is
reported naming the indicator (or element, axis, unit) it concerns.
"""

from __future__ import annotations

import difflib
import itertools
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from citybase.errors import ValidationFailed

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_FRAMEWORK = DATA_DIR / "framework_default.yaml"

#: The eight common elements of the "1" in the 1+N model (CONCEPTS.md §3).
ELEMENTS: tuple[str, ...] = (
    "data",
    "business",
    "technology",
    "operations",
    "security",
    "culture",
    "mechanism",
    "ecosystem",
)
AXES: tuple[str, ...] = ("B", "T", "E")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalText(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class UnitInfo(_Strict):
    """A unit; values in another unit of the same dimension are converted via ``factor``."""

    name: LocalText
    dimension: str = Field(min_length=1)
    factor: float = Field(1.0, gt=0)  # size of one of this unit in the dimension's base unit
    min: float | None = None
    max: float | None = None
    boolean: bool = False  # only 0/1 (yes/no) values
    aliases: list[str] = Field(default_factory=list)  # other spellings accepted in inputs


class Goalposts(_Strict):
    lower: float  # L: score 0 at or below (higher-is-better) / score 1 at or below (lower)
    upper: float  # U
    policy: bool  # True when L/U are a policy choice rather than natural bounds
    basis: str = ""  # why these goalposts
    target: float | None = None  # an optional policy target (e.g. a national plan's figure)
    phase_targets: dict[str, float] = Field(default_factory=dict)


class SourceRef(_Strict):
    scheme: Literal["iso37122", "u4ssc", "gbt33356", "custom"]
    ref: str = Field(min_length=1)
    note: str = ""


class Indicator(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name: LocalText
    unit: str
    direction: Literal["higher", "lower"]
    element: str
    domain: str = "common"
    goalposts: Goalposts
    sources: list[SourceRef] = Field(min_length=1)
    phases: list[str] = Field(min_length=1)
    weight: float = Field(1.0, gt=0)
    live: bool = False  # the platform can measure it from its own data
    description: LocalText | None = None

    @model_validator(mode="after")
    def _goalposts_apart(self) -> Indicator:
        lo, hi = self.goalposts.lower, self.goalposts.upper
        if lo == hi:
            raise ValueError(
                f"goalposts L and U are both {lo}: the score (x - L)/(U - L) would divide by "
                "zero; set L to the value that scores 0 and U to the value that scores 1"
            )
        if lo > hi:
            raise ValueError(
                f"goalpost L ({lo}) is above U ({hi}); keep L < U and use "
                "`direction: lower` when lower values are better"
            )
        return self


class ElementInfo(_Strict):
    name: LocalText
    description: LocalText | None = None


class AxisInfo(_Strict):
    name: LocalText
    elements: list[str] = Field(min_length=1)
    element_weights: dict[str, float] | None = None


class DomainInfo(_Strict):
    name: LocalText


class PhaseInfo(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: LocalText
    focus: LocalText
    threshold: float = Field(gt=0, le=1)


class Framework(_Strict):
    id: str
    version: str
    name: LocalText
    description: LocalText | None = None
    elements: dict[str, ElementInfo]
    axes: dict[str, AxisInfo]
    domains: dict[str, DomainInfo]
    phases: list[PhaseInfo] = Field(min_length=1)
    units: dict[str, UnitInfo]
    indicators: list[Indicator] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        problems: list[str] = []
        if set(self.elements) != set(ELEMENTS):
            problems.append(
                f"elements must be exactly the eight {', '.join(ELEMENTS)}; "
                f"got {', '.join(self.elements) or 'none'}"
            )
        problems += _check_axes(self)
        if "common" not in self.domains:
            problems.append("domains: the 'common' domain (the '1' of 1+N) must be listed")
        ids = [p.id for p in self.phases]
        if len(set(ids)) != len(ids):
            problems.append(f"phases: ids must be unique, got {ids}")
        thresholds = [p.threshold for p in self.phases]
        if any(b <= a for a, b in itertools.pairwise(thresholds)):
            problems.append(f"phases: thresholds must increase phase by phase, got {thresholds}")
        for ind in self.indicators:
            problems += _check_indicator(self, ind, set(ids))
        used = {ind.element for ind in self.indicators}
        for element in ELEMENTS:
            if element not in used:
                problems.append(
                    f"element '{element}' has no indicators; every element needs at least one "
                    "(three or more, so that the two-thirds coverage rule is meaningful)"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise ValidationFailed(unknown_indicator_message(self, indicator_id), field=indicator_id)

    def resolve_unit(self, name: str) -> str | None:
        """The declared unit key for ``name`` or one of its aliases (case-insensitive)."""
        wanted = name.strip().casefold()
        for key, unit in self.units.items():
            if wanted == key.casefold() or wanted in (a.casefold() for a in unit.aliases):
                return key
        return None

    def phase(self, phase_id: str) -> PhaseInfo:
        for p in self.phases:
            if p.id == phase_id:
                return p
        raise ValidationFailed(
            f"Unknown phase '{phase_id}'; the framework's phases are "
            f"{', '.join(p.id for p in self.phases)}.",
            field="phase",
        )


def _check_axes(fw: Framework) -> list[str]:
    problems: list[str] = []
    if set(fw.axes) != set(AXES):
        problems.append(f"axes must be exactly B, T and E; got {', '.join(fw.axes) or 'none'}")
    seen: dict[str, str] = {}
    for axis_id, axis in fw.axes.items():
        for element in axis.elements:
            if element not in ELEMENTS:
                problems.append(f"axis {axis_id}: unknown element '{element}'")
            elif element in seen:
                problems.append(
                    f"element '{element}' is mapped to two axes ({seen[element]} and {axis_id})"
                )
            seen[element] = axis_id
        for element, weight in (axis.element_weights or {}).items():
            if element not in axis.elements:
                problems.append(f"axis {axis_id}: weight given for '{element}', not on this axis")
            elif not weight > 0:
                problems.append(f"axis {axis_id}: weight of '{element}' must be > 0")
    missing = [e for e in ELEMENTS if e not in seen]
    if missing:
        problems.append(f"elements not mapped to any axis: {', '.join(missing)}")
    return problems


def _check_indicator(fw: Framework, ind: Indicator, phase_ids: set[str]) -> list[str]:
    where = f"indicator '{ind.id}'"
    problems: list[str] = []
    if ind.element not in ELEMENTS:
        problems.append(f"{where}: unknown element '{ind.element}' (one of {', '.join(ELEMENTS)})")
    if ind.domain not in fw.domains:
        problems.append(
            f"{where}: unknown domain '{ind.domain}' (declared: {', '.join(fw.domains)})"
        )
    unit = fw.units.get(ind.unit)
    if unit is None:
        problems.append(f"{where}: unknown unit '{ind.unit}' (declared: {', '.join(fw.units)})")
    else:
        for label, value in (("L", ind.goalposts.lower), ("U", ind.goalposts.upper)):
            if (unit.min is not None and value < unit.min) or (
                unit.max is not None and value > unit.max
            ):
                problems.append(
                    f"{where}: goalpost {label} = {value} is outside the range of unit "
                    f"'{ind.unit}' [{unit.min}, {unit.max}]"
                )
    for phase in [*ind.phases, *ind.goalposts.phase_targets]:
        if phase not in phase_ids:
            problems.append(f"{where}: unknown phase '{phase}' ({', '.join(sorted(phase_ids))})")
    return problems


def unknown_indicator_message(fw: Framework, indicator_id: str) -> str:
    ids = [ind.id for ind in fw.indicators]
    close = difflib.get_close_matches(indicator_id, ids, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return (
        f"Unknown indicator id '{indicator_id}': it is not in framework '{fw.id}' "
        f"({len(ids)} indicators).{hint}"
    )


# --- loading -------------------------------------------------------------------------------


def _precheck_indicators(raw: dict[str, Any], origin: str) -> None:
    """Catch what pydantic would report obscurely: duplicated ids and multi-element indicators."""
    items = raw.get("indicators")
    if not isinstance(items, list):
        return
    first_element: dict[str, Any] = {}
    for pos, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValidationFailed(
                f"{origin}: indicators[{pos}] must be a mapping with id, name, unit, …",
                field=f"indicators[{pos}]",
            )
        ind_id = item.get("id")
        element = item.get("element")
        if isinstance(element, list):
            raise ValidationFailed(
                f"{origin}: indicator '{ind_id}' is in two elements "
                f"({', '.join(map(str, element))}); an indicator belongs to exactly one element. "
                "Split it into two indicators or choose one element.",
                field=str(ind_id),
            )
        if ind_id in first_element:
            other = first_element[ind_id]
            if other != element:
                msg = (
                    f"{origin}: indicator '{ind_id}' is in two elements ({other} and {element}); "
                    "an indicator belongs to exactly one element."
                )
            else:
                msg = f"{origin}: indicator '{ind_id}' is listed twice (element {element})."
            raise ValidationFailed(msg, field=str(ind_id))
        first_element[str(ind_id)] = element


def _explain(exc: ValidationError, raw: dict[str, Any], origin: str) -> ValidationFailed:
    found = raw.get("indicators")
    items: list[Any] = found if isinstance(found, list) else []
    lines: list[str] = []
    first_field: str | None = None
    for err in exc.errors()[:12]:
        loc = list(err["loc"])
        label = ".".join(str(p) for p in loc) or "framework"
        if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
            pos = loc[1]
            item = items[pos] if pos < len(items) else None
            ind_id = item.get("id") if isinstance(item, dict) else None
            rest = ".".join(str(p) for p in loc[2:])
            label = f"indicator '{ind_id}'" + (f" {rest}" if rest else "")
            first_field = first_field or str(ind_id)
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{label}: {msg}")
        first_field = first_field or label
    more = len(exc.errors()) - len(lines)
    tail = f"\n  … and {more} more" if more > 0 else ""
    return ValidationFailed(
        f"{origin} is not a valid indicator framework:\n  " + "\n  ".join(lines) + tail,
        field=first_field,
    )


def parse_framework(raw: object, *, origin: str = "framework") -> Framework:
    if not isinstance(raw, dict):
        raise ValidationFailed(f"{origin}: expected a mapping at the top level.", field="framework")
    _precheck_indicators(raw, origin)
    try:
        return Framework.model_validate(raw)
    except ValidationError as exc:
        raise _explain(exc, raw, origin) from None


def load_framework(path: Path | str | None = None) -> Framework:
    """Load and validate a framework YAML (the shipped default when ``path`` is None)."""
    if path is None:
        return _default_framework()
    return _load_path(Path(path))


@lru_cache(maxsize=1)
def _default_framework() -> Framework:
    return _load_path(DEFAULT_FRAMEWORK)


def _load_path(path: Path) -> Framework:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationFailed(f"Framework file not found: {path}", field="framework") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{path} is not valid YAML: {exc}", field="framework") from None
    return parse_framework(raw, origin=str(path))
