"""Vectorised per-type checks for one column of text (Arrow compute + NumPy, no cell loop).

Each check takes the column's non-empty values (already stripped of spaces and dashes) and
returns a boolean mask of values that are valid identifiers of its type. Length gates run
first, so the expensive part (check digits, regexes) only sees plausible cells.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from citybase.identifiers import (
    PROVINCE_ABBREVIATIONS,
    is_valid_id_number_array,
    is_valid_uscc_array,
    landline_area_codes,
)
from citybase.privacy.dictionaries import surnames
from citybase.privacy.policy import PiiType

Mask = npt.NDArray[np.bool_]
_P = f"[{PROVINCE_ABBREVIATIONS}]"
_L = "[A-HJ-NP-Z]"
_S = "[A-HJ-NP-Z0-9]"
_NE = "[A-HJ-K]"
PLATE_RE = (
    f"^(?:{_P}{_L}{_S}{{5}}|{_P}{_L}{_NE}{_S}[0-9]{{4}}|{_P}{_L}[0-9]{{5}}{_NE}"
    f"|{_P}{_L}{_S}{{4}}[学挂警领]|粤Z{_S}{{4}}[港澳]|{_P}O{_S}{{4}}警|使[0-9]{{6}})$"
)
EMAIL_RE = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
IP_RE = rf"^{_OCTET}(?:\.{_OCTET}){{3}}$"
GPS_RE = r"^-?[0-9]{1,3}\.[0-9]{4,}[,，;；/]-?[0-9]{1,3}\.[0-9]{4,}$"
PASSPORT_RE = r"^(?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[GDSP][0-9]{8})$"
NAME_RE = r"^[\x{4e00}-\x{9fff}]{2,4}$"
ADDRESS_RE = (
    r"(?:(?:路|街|巷|道|弄|胡同|里|村|小区|花园|家园|公寓|大厦|苑|广场|社区)"
    r"[0-9A-Za-z]+(?:号|弄|栋|幢|座|组|室|单元)|(?:省|市|区|县|旗)[\x{4e00}-\x{9fff}]*(?:镇|乡|街道)"
    r"[\x{4e00}-\x{9fff}]*(?:村|社区)|(?:省|自治区|特别行政区|市)[\x{4e00}-\x{9fff}]{1,12}"
    r"(?:市|区|县|旗|盟|州)[\x{4e00}-\x{9fff}]{1,20}(?:路|街|巷|道|弄|胡同|村|社区|镇|乡|小区|大厦))"
)
"""A road or compound word and a door or building number (幸福路12号, 罗街I座), a township and
village, or a chain province/city → county/city → road, street or village (Faker-style
``江苏省淑华市永川罗街I座 762328`` included)."""


def _gated(values: pa.Array, gate: Mask, check: Callable[[pa.Array], Mask]) -> Mask:
    out = np.zeros(len(values), dtype=np.bool_)
    rows = np.flatnonzero(gate)
    if rows.size:
        out[rows] = check(values.take(pa.array(rows)))
    return out


def _regex(pattern: str) -> Callable[[pa.Array], Mask]:
    def check(values: pa.Array) -> Mask:
        return np.asarray(pc.match_substring_regex(values, pattern).fill_null(False), dtype=bool)

    return check


def _numpy(values: pa.Array) -> npt.NDArray[np.str_]:
    """The values as a NumPy unicode array; ASCII cells of one width skip the object detour."""
    n = len(values)
    if n and values.null_count == 0 and pa.types.is_string(values.type):
        offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset :][: n + 1]
        width = int(offsets[1] - offsets[0])
        if width and int(offsets[-1] - offsets[0]) == width * n:
            raw = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
            if width * n == 0 or int(raw.max()) < 128:  # ASCII: one byte per character
                return np.asarray(raw.view(f"S{width}").astype(f"<U{width}"))
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.str_)


def _by_width(gate: Mask, lengths: npt.NDArray[np.int64], widths: tuple[int, ...]) -> list[Mask]:
    """The gate split per exact width, so each part converts to NumPy without copies."""
    return [gate & (lengths == w) for w in widths if (gate & (lengths == w)).any()]


def luhn_array(values: npt.NDArray[np.str_]) -> Mask:
    """Element-wise Luhn check of digit strings (any length up to 19; non-digits fail)."""
    values = np.asarray(values, dtype=np.str_)
    result = np.zeros(len(values), dtype=np.bool_)
    lengths = np.char.str_len(values)
    for width in np.unique(lengths):
        rows = np.flatnonzero(lengths == width)
        if width < 2 or width > 19:
            continue
        fixed = values[rows].astype(f"<U{width}")
        digits = fixed.view(np.uint32).reshape(len(rows), int(width)).astype(np.int64) - 48
        ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
        doubled = digits[:, -2::-2] * 2
        total = digits[:, -1::-2].sum(axis=1) + (doubled - 9 * (doubled > 9)).sum(axis=1)
        result[rows] = ok & (total % 10 == 0)
    return result


def _bank(values: pa.Array) -> Mask:
    arr = _numpy(values)
    ok = luhn_array(arr)
    first = arr.astype("<U2")
    issuer = (first == "62") | np.isin(first.astype("<U1"), ["3", "4", "5", "6"])
    return np.asarray(ok & issuer)


@cache
def _landline_codes() -> pa.Array:
    return pa.array(sorted(landline_area_codes()))


def _landline(values: pa.Array) -> Mask:
    shaped = _regex(r"^0[0-9]{2,3}[2-9][0-9]{6,7}$")(values)
    second = pc.utf8_slice_codeunits(values, 1, 2)
    three = np.asarray(pc.is_in(second, pa.array(["1", "2"])), dtype=bool)
    area = pc.if_else(
        pa.array(three),
        pc.utf8_slice_codeunits(values, 0, 3),
        pc.utf8_slice_codeunits(values, 0, 4),
    )
    known = np.asarray(pc.is_in(area, _landline_codes()), dtype=bool)
    length = np.asarray(pc.utf8_length(values))
    fits = np.where(three, length == 11, (length == 11) | (length == 12))
    return np.asarray(shaped & known & fits)


def _name(values: pa.Array) -> Mask:
    names = surnames()
    shaped = _regex(NAME_RE)(values)
    single = pc.is_in(pc.utf8_slice_codeunits(values, 0, 1), pa.array(sorted(names.single)))
    double = pc.is_in(pc.utf8_slice_codeunits(values, 0, 2), pa.array(sorted(names.compound)))
    return np.asarray(shaped & (np.asarray(single, bool) | np.asarray(double, bool)))


def _mobile_normalised(values: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(values, r"^(?:\+86|0086|86)(1[3-9][0-9]{9})$", r"\1")


def check_type(
    pii_type: PiiType,
    compact: pa.Array,
    upper: pa.Array,
    raw: pa.Array,
    lengths: npt.NDArray[np.int64],
) -> Mask:
    """Which values are valid ``pii_type``: ``compact`` has spaces/dashes removed, ``upper``
    is ``compact`` upper-cased, ``raw`` is the stripped original, ``lengths`` of ``compact``."""
    if pii_type == "CN_ID_CARD":
        out = np.zeros(len(upper), dtype=np.bool_)
        for part in _by_width((lengths == 15) | (lengths == 18), lengths, (15, 18)):
            out |= _gated(upper, part, lambda v: is_valid_id_number_array(_numpy(v)))
        return out
    if pii_type == "CN_USCC":
        return _gated(upper, lengths == 18, lambda v: is_valid_uscc_array(_numpy(v)))
    if pii_type == "CN_MOBILE":
        gate = (lengths >= 11) & (lengths <= 14)
        return _gated(compact, gate, lambda v: _regex(r"^1[3-9][0-9]{9}$")(_mobile_normalised(v)))
    if pii_type == "BANK_CARD":
        out = np.zeros(len(compact), dtype=np.bool_)
        for part in _by_width(lengths >= 15, lengths, (15, 16, 17, 18, 19)):
            out |= _gated(compact, part, _bank)
        return out
    if pii_type == "CN_PLATE":
        return _gated(upper, (lengths == 7) | (lengths == 8), _regex(PLATE_RE))
    if pii_type == "CN_LANDLINE":
        return _gated(compact, (lengths >= 10) & (lengths <= 12), _landline)
    if pii_type == "PASSPORT":
        return _gated(upper, lengths == 9, _regex(PASSPORT_RE))
    if pii_type == "IP_ADDRESS":
        return _gated(compact, (lengths >= 7) & (lengths <= 15), _regex(IP_RE))
    if pii_type == "PERSON_NAME":
        return _gated(compact, (lengths >= 2) & (lengths <= 4), _name)
    if pii_type == "EMAIL":
        return _gated(raw, lengths >= 6, _regex(EMAIL_RE))
    if pii_type == "GPS_COORDINATE":
        return _gated(compact, lengths >= 11, _regex(GPS_RE))
    return _gated(raw, lengths >= 6, _regex(ADDRESS_RE))  # ADDRESS
