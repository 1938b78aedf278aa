"""Motor vehicle plates (机动车号牌, GA 36): validate, explain and generate.

Formats accepted:

* ordinary, 7 characters: province abbreviation + issuing-office letter (A-Z without I, O)
  + 5 letters/digits (no I or O);
* small new-energy, 8: province + letter + D/F (A-K once D/F run out; A-E pure electric,
  F-K other) + letter or digit + 4 digits;
* large new-energy, 8: province + letter + 5 digits + D/F (A-K as above);
* special 7-character plates ending in 学 (driving school), 挂 (trailer), 警 (police),
  领 (consulate), and 港/澳 (cross-border, only 粤Z);
* embassy plates 使 + 6 digits.

Plates are written with a middle dot or space (苏A·12345) and in lower case in sloppy data;
``normalise_plate`` removes both. Which office letters a province really uses is not checked:
the lists change every few years and a plate with an unused letter is still well-formed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from citybase.errors import ValidationFailed
from citybase.identifiers._text import fold, require_text, shown

PROVINCE_ABBREVIATIONS = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
OFFICE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
SERIAL_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
NEW_ENERGY_PURE = "ABCDE"
NEW_ENERGY_OTHER = "FGHJK"
SPECIAL_SUFFIXES = "学挂警领港澳"

PlateKind = Literal[
    "ordinary",
    "new_energy_small",
    "new_energy_large",
    "coach",
    "trailer",
    "police",
    "consulate",
    "hong_kong",
    "macao",
    "embassy",
]
Energy = Literal["pure_electric", "other_new_energy"]

_P = f"[{PROVINCE_ABBREVIATIONS}]"
_L = f"[{OFFICE_LETTERS}]"
_S = f"[{SERIAL_CHARS}]"
_NE = f"[{NEW_ENERGY_PURE}{NEW_ENERGY_OTHER}]"
_PATTERNS: tuple[tuple[PlateKind, re.Pattern[str]], ...] = (
    ("ordinary", re.compile(f"({_P})({_L}){_S}{{5}}")),
    ("new_energy_small", re.compile(f"({_P})({_L})({_NE}){_S}[0-9]{{4}}")),
    ("new_energy_large", re.compile(f"({_P})({_L})[0-9]{{5}}({_NE})")),
    ("coach", re.compile(f"({_P})({_L}){_S}{{4}}学")),
    ("trailer", re.compile(f"({_P})({_L}){_S}{{4}}挂")),
    ("police", re.compile(f"({_P})([{OFFICE_LETTERS}O]){_S}{{4}}警")),
    ("consulate", re.compile(f"({_P})({_L}){_S}{{4}}领")),
    ("hong_kong", re.compile(f"(粤)(Z){_S}{{4}}港")),
    ("macao", re.compile(f"(粤)(Z){_S}{{4}}澳")),
    ("embassy", re.compile("(使)()[0-9]{6}")),
)
_SUFFIX_KIND: dict[str, PlateKind] = {
    "学": "coach",
    "挂": "trailer",
    "警": "police",
    "领": "consulate",
    "港": "hong_kong",
    "澳": "macao",
}


@dataclass(frozen=True, slots=True)
class PlateInfo:
    """A valid plate's parts. Embassy plates have province 使 and no office letter."""

    plate: str
    province: str
    office_letter: str
    kind: PlateKind
    energy: Energy | None
    """Set for new-energy plates only."""

    @property
    def new_energy(self) -> bool:
        return self.energy is not None


def normalise_plate(value: str) -> str:
    """Fold full-width forms, drop spaces and separators (· . -), upper-case. Idempotent."""
    return fold(value, remove="·•.-", upper=True)


def validate_plate(value: str, *, field: str = "plate") -> PlateInfo:
    """Check a plate and say which kind it is; ValidationFailed explains a mismatch."""
    plate = normalise_plate(require_text(value, field))
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(plate)
        if match is None:
            continue
        energy: Energy | None = None
        if kind == "new_energy_small" or kind == "new_energy_large":
            energy = "pure_electric" if match.group(3) in NEW_ENERGY_PURE else "other_new_energy"
        return PlateInfo(
            plate=plate,
            province=match.group(1),
            office_letter=match.group(2),
            kind=kind,
            energy=energy,
        )
    raise ValidationFailed(f"{field}: {_why_not(plate)}", field=field)


def _why_not(plate: str) -> str:
    """The most useful single reason a normalised text is not a plate."""
    if not plate:
        return "is empty"
    if plate[0] not in PROVINCE_ABBREVIATIONS and plate[0] != "使":
        return f"must start with a province abbreviation such as 苏 or 京, got {shown(plate)}"
    if len(plate) not in (7, 8):
        return f"must have 7 characters (8 for new-energy vehicles), got {len(plate)}"
    if plate[1] not in OFFICE_LETTERS:
        return f"second character must be an office letter A-Z without I/O, got {plate[1]!r}"
    if "I" in plate or "O" in plate:
        return "letters I and O are never used on plates (they look like 1 and 0)"
    if len(plate) == 8:
        return (
            "an 8-character new-energy plate is D/F + letter/digit + 4 digits (small) or "
            f"5 digits + D/F (large), got {plate[2:]!r}"
        )
    return (
        f"characters 3-7 must be letters/digits, or 4 of them and one of {SPECIAL_SUFFIXES}, "
        f"got {plate[2:]!r}"
    )


def is_valid_plate(value: object) -> bool:
    """True when ``validate_plate`` would accept the value."""
    try:
        validate_plate(value)  # type: ignore[arg-type]
    except ValidationFailed:
        return False
    return True


#: How many letters an issued serial carries (0, 1, 2): mostly digits, as on real plates.
_LETTER_COUNT_P = np.array([0.45, 0.4, 0.15])


def _serial(rng: np.random.Generator, length: int, max_letters: int) -> str:
    """Mostly digits with up to ``max_letters`` letters at random places, as issued."""
    chars = [str(d) for d in rng.integers(0, 10, size=length)]
    p = _LETTER_COUNT_P[: max_letters + 1]
    letters = int(rng.choice(max_letters + 1, p=p / p.sum()))
    for pos in rng.choice(length, size=letters, replace=False):
        chars[int(pos)] = OFFICE_LETTERS[int(rng.integers(0, len(OFFICE_LETTERS)))]
    return "".join(chars)


def generate_plate(
    rng: np.random.Generator,
    province: str,
    city_letter: str,
    new_energy: bool = False,
    *,
    large: bool = False,
    pure_electric: bool = True,
    suffix: str | None = None,
) -> str:
    """A valid plate of the office ``province`` + ``city_letter``.

    ``new_energy`` gives 8 characters (``large`` for buses and lorries; ``pure_electric``
    picks D, otherwise F); ``suffix`` one of 学挂警领 gives that special plate instead.
    """
    if province not in PROVINCE_ABBREVIATIONS:
        raise ValidationFailed(
            f"province: must be one of {PROVINCE_ABBREVIATIONS}, got {province!r}", field="province"
        )
    if city_letter not in OFFICE_LETTERS:
        raise ValidationFailed(
            f"city_letter: must be A-Z without I/O, got {city_letter!r}", field="city_letter"
        )
    if suffix is not None:
        if suffix not in "学挂警领" or len(suffix) != 1 or new_energy:
            raise ValidationFailed(
                f"suffix: must be one of 学挂警领 on a fuel plate, got {suffix!r}", field="suffix"
            )
        return f"{province}{city_letter}{_serial(rng, 4, 1)}{suffix}"
    if not new_energy:
        return f"{province}{city_letter}{_serial(rng, 5, 2)}"
    letter = "D" if pure_electric else "F"
    digits = "".join(str(d) for d in rng.integers(0, 10, size=5))
    if large:
        return f"{province}{city_letter}{digits}{letter}"
    if rng.random() < 0.3:
        digits = OFFICE_LETTERS[int(rng.integers(0, len(OFFICE_LETTERS)))] + digits[1:]
    return f"{province}{city_letter}{letter}{digits}"
