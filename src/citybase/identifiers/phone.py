"""Mainland Chinese telephone numbers: mobile (手机号) and landline (固定电话).

Mobile numbers are 11 digits starting 13-19, written with +86/0086/86, spaces, dashes
or brackets; all are normalised to the bare 11 digits. Validation deliberately accepts
every 1[3-9] segment: new segments are allocated every few years, and rejecting a real
citizen's number is worse than accepting an unallocated one.

Landlines are an area code (010 and 02x: 3 digits with 8-digit local numbers; otherwise 4
digits with 7- or 8-digit local numbers) checked against the shipped list of long-distance
codes, normalised to ``0AA-LLLLLLLL`` with an optional ``转NNN`` extension.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt
import yaml

from citybase.errors import ValidationFailed
from citybase.identifiers._text import fold, is_ascii_digits, require_text, shown
from citybase.identifiers.areacodes import landline_area_codes

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = "-()."
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)([0-9]{1,6})$", re.IGNORECASE)


def _strip_country(digits: str) -> str:
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits


def normalise_mobile(value: str, *, field: str = "mobile") -> str:
    """The bare 11-digit number; ValidationFailed when it is not a mainland mobile number."""
    text = fold(require_text(value, field), remove=_SEPARATORS)
    digits = _strip_country(text)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if digits and not is_ascii_digits(digits):
        raise ValidationFailed(
            f"{field}: only digits, +86, spaces, dashes and brackets are allowed, "
            f"got {shown(value)}",
            field=field,
        )
    if len(digits) != 11:
        raise ValidationFailed(
            f"{field}: a mobile number has 11 digits, got {len(digits)}", field=field
        )
    if not _MOBILE.fullmatch(digits):
        raise ValidationFailed(
            f"{field}: a mobile number starts with 13-19, got {digits[:2]}", field=field
        )
    return digits


def is_valid_mobile(value: object) -> bool:
    """True when ``normalise_mobile`` would accept the value."""
    try:
        normalise_mobile(value)  # type: ignore[arg-type]
    except ValidationFailed:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Landline:
    area_code: str
    local_number: str
    extension: str | None

    def __str__(self) -> str:
        ext = f"转{self.extension}" if self.extension else ""
        return f"{self.area_code}-{self.local_number}{ext}"


def _parse_landline(text: str, extension: str | None, field: str) -> Landline:
    cleaned = fold(text, remove=_SEPARATORS)
    digits = _strip_country(cleaned)
    if digits != cleaned and not digits.startswith("0"):
        digits = "0" + digits  # +86 25 8312 3456: the trunk 0 is dropped abroad
    if not digits or not is_ascii_digits(digits):
        raise ValidationFailed(
            f"{field}: only digits, +86, spaces, dashes, brackets and an extension (转123) "
            f"are allowed, got {shown(text)}",
            field=field,
        )
    if not digits.startswith("0"):
        raise ValidationFailed(
            f"{field}: a landline needs its area code starting with 0 (e.g. 025-83123456)",
            field=field,
        )
    area_len = 3 if digits[1:2] in ("1", "2") else 4
    area, local = digits[:area_len], digits[area_len:]
    if area not in landline_area_codes():
        raise ValidationFailed(f"{field}: {area} is not a mainland area code", field=field)
    allowed = (8,) if area_len == 3 else (7, 8)
    if len(local) not in allowed:
        raise ValidationFailed(
            f"{field}: local numbers in area {area} have "
            f"{' or '.join(map(str, allowed))} digits, got {len(local)}",
            field=field,
        )
    if local[0] in "01":
        raise ValidationFailed(f"{field}: a local number cannot start with {local[0]}", field=field)
    return Landline(area_code=area, local_number=local, extension=extension)


def parse_landline(value: str, *, field: str = "landline") -> Landline:
    """Split a landline into area code, local number and extension."""
    text = fold(require_text(value, field))
    match = _EXTENSION.search(text)
    if match:
        return _parse_landline(text[: match.start()], match.group(1), field)
    head, sep, tail = text.rpartition("-")
    if sep and head.count("-") >= 1 and 1 <= len(tail) <= 6 and is_ascii_digits(tail):
        try:  # 025-83123456-801: a third dash group is an extension
            return _parse_landline(head, tail, field)
        except ValidationFailed:
            pass
    return _parse_landline(text, None, field)


def normalise_landline(value: str, *, field: str = "landline") -> str:
    """``0AA-LLLLLLLL`` or ``0AAA-LLLLLLL`` plus ``转NNN`` for an extension. Idempotent."""
    return str(parse_landline(value, field=field))


def is_valid_landline(value: object) -> bool:
    """True when ``parse_landline`` would accept the value."""
    try:
        parse_landline(value)  # type: ignore[arg-type]
    except ValidationFailed:
        return False
    return True


@cache
def _segments() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Mobile prefixes and their sampling weights (operator share spread over its prefixes)."""
    path = resources.files("citybase.identifiers") / "data" / "mobile_segments.yaml"
    raw = yaml.safe_load(path.read_text("utf-8"))["segments"]
    prefixes: list[int] = []
    weights: list[float] = []
    for entry in raw.values():
        share = float(entry["weight"]) / len(entry["prefixes"])
        prefixes.extend(int(p) for p in entry["prefixes"])
        weights.extend([share] * len(entry["prefixes"]))
    w = np.array(weights)
    return np.array(prefixes, dtype=np.int64), w / w.sum()


def generate_mobile_array(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    """``n`` valid mobile numbers from real segments, vectorised (for synthetic registries)."""
    prefixes, weights = _segments()
    head = rng.choice(prefixes, size=n, p=weights)
    numbers = head * 100_000_000 + rng.integers(0, 100_000_000, size=n)
    return np.asarray(numbers.astype(np.str_), dtype="<U11")


def generate_mobile(rng: np.random.Generator) -> str:
    """One valid mobile number from a real segment."""
    return str(generate_mobile_array(rng, 1)[0])
