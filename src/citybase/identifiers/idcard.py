"""GB 11643 citizen identity numbers (公民身份号码): validate, explain, generate, scan in bulk.

An 18-character number is area code (6, GB/T 2260) + birth date (8, YYYYMMDD) + sequence
(3; odd for men, even for women) + an ISO 7064 MOD 11-2 check character (0-9 or X). Numbers
issued before 1999 have 15 digits: a 2-digit year (19YY) and no check character; they are
still found in old registries, so they are accepted and can be upgraded to 18.

Validation says exactly what is wrong (length, characters, area code, birth date, check
character and the one expected), because a clerk fixing a typo needs to know which part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt

from citybase.errors import ValidationFailed
from citybase.identifiers._text import fold, is_ascii_digits, require_text, shown
from citybase.identifiers.areacodes import (
    AreaCode,
    area_codes_known_array,
    lookup_area,
)

Sex = Literal["男", "女"]

#: Weight of position i is 2**(17-i) mod 11 (ISO 7064 MOD 11-2).
ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Check character for (weighted sum mod 11).
ID_CHECK_CHARS = "10X98765432"
#: Nobody alive or in a living registry was born earlier; older dates are typos.
EARLIEST_BIRTH = date(1880, 1, 1)


@dataclass(frozen=True, slots=True)
class IdCardInfo:
    """What a valid identity number says about its holder."""

    number: str
    """The number as normalised (15 or 18 characters, check character upper-case)."""
    number18: str
    """The 18-character form (a 15-digit number upgraded)."""
    area: AreaCode
    birth_date: date
    sequence: int
    sex: Sex
    legacy: bool
    """True for a pre-1999 15-digit number."""

    @property
    def area_code(self) -> str:
        return self.area.code


def normalise_id_number(value: str) -> str:
    """Fold full-width characters, drop spaces, upper-case a final x. Idempotent."""
    return fold(value, upper=True)


def id_number_check_digit(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not is_ascii_digits(first17):
        raise ValidationFailed(
            f"id_number: the check character is computed from 17 digits, got {shown(first17)}",
            field="id_number",
        )
    total = sum((ord(c) - 48) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def upgrade_id_number(number15: str) -> str:
    """The 18-character form of a valid 15-digit number (insert "19", append the check)."""
    info = validate_id_number(number15)
    return info.number18


def _birth_date(year: int, month: int, day: int, today: date, field: str) -> date:
    try:
        born = date(year, month, day)
    except ValueError:
        raise ValidationFailed(
            f"{field}: positions 7-14 are not a real birth date ({year:04d}-{month:02d}-{day:02d})",
            field=field,
        ) from None
    if born < EARLIEST_BIRTH or born > today:
        raise ValidationFailed(
            f"{field}: birth date {born.isoformat()} is impossible "
            f"(must be between {EARLIEST_BIRTH.isoformat()} and {today.isoformat()})",
            field=field,
        )
    return born


def validate_id_number(
    value: str, *, today: date | None = None, field: str = "id_number"
) -> IdCardInfo:
    """Check a 15- or 18-character number and return what it encodes.

    Raises ValidationFailed naming ``field`` and the first problem found, in the order a
    person would check by eye: length, characters, area code, birth date, check character.
    """
    text = require_text(value, field)
    number = normalise_id_number(text)
    today = today or date.today()
    if len(number) not in (15, 18):
        raise ValidationFailed(
            f"{field}: must have 18 characters (or 15 for a number issued before 1999), "
            f"got {len(number)}",
            field=field,
        )
    legacy = len(number) == 15
    body = number if legacy else number[:17]
    if not is_ascii_digits(body):
        where = "all 15 characters" if legacy else "the first 17 characters"
        raise ValidationFailed(f"{field}: {where} must be digits, got {shown(text)}", field=field)
    if not legacy and not (number[17] == "X" or is_ascii_digits(number[17])):
        raise ValidationFailed(
            f"{field}: the last character must be a digit or X, got {number[17]!r}", field=field
        )
    area = lookup_area(number[:6])
    if area is None:
        raise ValidationFailed(
            f"{field}: area code {number[:6]} (positions 1-6) is not a GB/T 2260 division code",
            field=field,
        )
    if legacy:
        born = _birth_date(
            1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]), today, field
        )
        sequence = int(number[12:15])
        first17 = number[:6] + "19" + number[6:15]
        number18 = first17 + id_number_check_digit(first17)
    else:
        born = _birth_date(int(number[6:10]), int(number[10:12]), int(number[12:14]), today, field)
        sequence = int(number[14:17])
        expected = id_number_check_digit(number[:17])
        if number[17] != expected:
            raise ValidationFailed(
                f"{field}: check character should be {expected!r}, got {number[17]!r} "
                "(a digit is probably mistyped)",
                field=field,
            )
        number18 = number
    return IdCardInfo(
        number=number,
        number18=number18,
        area=area,
        birth_date=born,
        sequence=sequence,
        sex="男" if sequence % 2 else "女",
        legacy=legacy,
    )


def is_valid_id_number(value: object, *, today: date | None = None) -> bool:
    """True when ``validate_id_number`` would accept the value."""
    try:
        validate_id_number(value, today=today)  # type: ignore[arg-type]
    except ValidationFailed:
        return False
    return True


def generate_id_number(
    rng: np.random.Generator,
    area_code: str,
    birth_date: date,
    sequence: int | None = None,
    sex: Sex | None = None,
) -> str:
    """A valid 18-character number; ``sequence`` (0-999) or ``sex`` chosen at random if None.

    The sequence's parity encodes sex, so a given sequence and sex must agree.
    """
    if lookup_area(area_code) is None:
        raise ValidationFailed(
            f"area_code: {area_code!r} is not a GB/T 2260 division code", field="area_code"
        )
    if not EARLIEST_BIRTH <= birth_date <= date.today():
        raise ValidationFailed(
            f"birth_date: {birth_date} must be between {EARLIEST_BIRTH} and today",
            field="birth_date",
        )
    if sequence is None:
        parity = {"男": 1, "女": 0}[sex] if sex is not None else int(rng.integers(0, 2))
        sequence = 2 * int(rng.integers(0, 500)) + parity
    elif not 0 <= sequence <= 999:
        raise ValidationFailed(f"sequence: must be 0-999, got {sequence}", field="sequence")
    elif sex is not None and (sequence % 2 == 1) != (sex == "男"):
        raise ValidationFailed(
            f"sequence: {sequence} is {'odd (男)' if sequence % 2 else 'even (女)'} "
            f"but sex is {sex}",
            field="sequence",
        )
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_digit(first17)


# --- vectorised helpers for bulk scanning (PII detection, data quality rules) ------------

_WEIGHTS = np.array(ID_WEIGHTS, dtype=np.int64)
_CHECK_CODEPOINTS = np.array([ord(c) for c in ID_CHECK_CHARS], dtype=np.uint32)


def _codepoints(values: npt.ArrayLike, width: int) -> npt.NDArray[np.uint32]:
    """(n, width) array of code points; shorter strings are padded with 0."""
    arr = np.asarray(values, dtype=np.str_).astype(f"<U{width}")
    return arr.view(np.uint32).reshape(arr.shape[0], width)


def id_number_check_digit_array(first17: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """Check characters for many 17-digit strings at once (non-digit rows give garbage)."""
    digits = _codepoints(first17, 17).astype(np.int64) - 48
    index = (digits @ _WEIGHTS) % 11
    return np.asarray(np.array(list(ID_CHECK_CHARS))[index], dtype="<U1")


def _dates_valid(
    year: npt.NDArray[np.int64],
    month: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
    today: date,
) -> npt.NDArray[np.bool_]:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    month_ok = (month >= 1) & (month <= 12)
    dim = days[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    ymd = year * 10000 + month * 100 + day
    earliest = EARLIEST_BIRTH.year * 10000 + EARLIEST_BIRTH.month * 100 + EARLIEST_BIRTH.day
    latest = today.year * 10000 + today.month * 100 + today.day
    return np.asarray(month_ok & (day >= 1) & (day <= dim) & (ymd >= earliest) & (ymd <= latest))


def _as_int(digits: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    powers = 10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64)
    return np.asarray(digits @ powers)


def is_valid_id_number_array(
    values: npt.ArrayLike | Sequence[str], *, today: date | None = None
) -> npt.NDArray[np.bool_]:
    """Element-wise ``is_valid_id_number`` for already-normalised text (no spaces/full-width).

    A lower-case final x is accepted, as in the scalar check. Runs at over a million values
    per second (cells of the wrong length cost almost nothing), for scanning columns and files.
    """
    today = today or date.today()
    arr = np.asarray(values, dtype=np.str_).reshape(-1)
    result = np.zeros(arr.shape[0], dtype=np.bool_)
    lengths = np.char.str_len(arr)
    # Most scanned cells are not identity numbers: decide on the plausible ones only.
    rows = np.flatnonzero((lengths == 18) | (lengths == 15))
    if rows.size == 0:
        return result
    cp = _codepoints(arr[rows], 18)
    lengths = lengths[rows]
    digit = (cp >= 48) & (cp <= 57)
    d = np.where(digit, cp.astype(np.int64) - 48, 0)
    area_ok = area_codes_known_array(_as_int(d[:, :6]))

    long_ = (lengths == 18) & digit[:, :17].all(axis=1) & area_ok
    expected = _CHECK_CODEPOINTS[(d[:, :17] @ _WEIGHTS) % 11]
    last = cp[:, 17]
    long_ &= (last == expected) | ((expected == ord("X")) & (last == ord("x")))
    long_ &= _dates_valid(_as_int(d[:, 6:10]), _as_int(d[:, 10:12]), _as_int(d[:, 12:14]), today)

    short = (lengths == 15) & digit[:, :15].all(axis=1) & area_ok
    short &= _dates_valid(
        1900 + _as_int(d[:, 6:8]), _as_int(d[:, 8:10]), _as_int(d[:, 10:12]), today
    )
    result[rows] = long_ | short
    return result
