"""Identifier checks straight on a column's bytes: the Arrow data buffer seen through NumPy.

Why: the general path (``column_checks``) first normalises every value with Arrow compute
(trim, strip separators, upper-case), then converts the cells to NumPy unicode, four bytes
per character, before checking them. In the usual column of identifiers, plain ASCII with no
spaces, dashes or brackets, normalising changes nothing but the case, and the bytes in the
Arrow buffer already are the values: cells of one width are a (rows, width) ``uint8`` view of
that buffer, and check digits, area codes and dates are computed on it one character column
at a time. Each check equals its unicode counterpart in ``citybase.identifiers`` and
``column_checks``; the tests compare them on random input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from citybase.identifiers.areacodes import known_area_code_array
from citybase.identifiers.idcard import EARLIEST_BIRTH, ID_CHECK_CHARS, ID_WEIGHTS
from citybase.identifiers.uscc import USCC_ALPHABET, USCC_WEIGHTS, authorities
from citybase.privacy.policy import PiiType

Mask = npt.NDArray[np.bool_]
Bytes = npt.NDArray[np.uint8]
Ints = npt.NDArray[np.int32]


def _byte_table(chars: bytes) -> Mask:
    table = np.zeros(256, dtype=np.bool_)
    table[list(chars)] = True
    return table


#: Lead bytes of the multi-byte characters a plain column may hold: U+3000–U+9FFF (CJK
#: punctuation, kana, ideographs), all three bytes long and without letter case. Anything
#: else outside ASCII (Latin letters with case, full-width forms, U+2022 •, U+00B7 ·,
#: Unicode spaces) sends the column down the general path.
_PLAIN_LEADS = (0xE3, 0xE9)
_IDEOGRAPHIC_SPACE = (0xE3, 0x80)  # U+3000-U+303F starts E3 80: holds the ideographic space


@dataclass(frozen=True, slots=True)
class PlainColumn:
    """Upper-cased UTF-8 bytes of a column that normalising would only upper-case."""

    data: Bytes
    offsets: npt.NDArray[np.int64]
    lengths: npt.NDArray[np.int64]
    """Bytes per value; ``chars`` counts characters (they differ only for CJK)."""
    chars: npt.NDArray[np.int64]
    has_lower: bool
    """Whether any ASCII letter was lower case (``data`` is upper-cased already)."""

    def matrix(self, width: int) -> tuple[npt.NDArray[np.int64], Bytes]:
        """Rows whose value has ``width`` bytes, and those values as a (width, rows) array:
        character position first, so each position is one contiguous vector."""
        rows = np.flatnonzero(self.lengths == width)
        if len(rows) == len(self.lengths):  # all one width: the buffer itself, transposed
            return rows, np.ascontiguousarray(self.data.reshape(len(rows), width).T)
        index = self.offsets[rows][None, :] + np.arange(width, dtype=np.int64)[:, None]
        return rows, self.data[index]


def _buffers(values: pa.Array) -> tuple[Bytes, npt.NDArray[np.int64]]:
    kind = np.int64 if pa.types.is_large_string(values.type) else np.int32
    _, offset_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=kind)[
        values.offset : values.offset + len(values) + 1
    ].astype(np.int64)
    if data_buffer is None or len(values) == 0:
        return np.zeros(0, dtype=np.uint8), offsets - offsets[0]
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data, offsets - offsets[0]


def plain_column(values: pa.Array) -> PlainColumn | None:
    """The column's bytes when trimming and removing separators (whitespace, dashes,
    brackets, dots) would change nothing and upper-casing only touches ASCII; else None."""
    if values.null_count or not (
        pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
    ):
        return None
    data, offsets = _buffers(values)
    lengths = np.diff(offsets)
    chars = lengths
    if len(data) == 0:
        return PlainColumn(data, offsets, lengths, chars, has_lower=False)
    if int(data.min()) <= 0x20 or (data == 0x7F).any():
        return None
    if (data == ord("-")).any() or (data == ord("(")).any() or (data == ord(")")).any():
        return None
    if int(data.max()) >= 0x80:
        if ((data >= 0xC0) & ((data < _PLAIN_LEADS[0]) | (data > _PLAIN_LEADS[1]))).any():
            return None
        if ((data[:-1] == _IDEOGRAPHIC_SPACE[0]) & (data[1:] == _IDEOGRAPHIC_SPACE[1])).any():
            return None
        chars = np.asarray(pc.utf8_length(values), dtype=np.int64)
    lower = (data >= ord("a")) & (data <= ord("z")) if int(data.max()) >= ord("a") else None
    if lower is not None and lower.any():
        data = np.where(lower, data - np.uint8(32), data)
    has_lower = lower is not None and bool(lower.any())
    return PlainColumn(data, offsets, lengths, chars, has_lower=has_lower)


def _digits(matrix: Bytes) -> Bytes:
    """Digit values; anything that is not 0-9 becomes a value above 9 (uint8 wraps)."""
    return np.asarray(matrix - np.uint8(ord("0")), dtype=np.uint8)


def _all_digits(digits: Bytes) -> Mask:
    """Whether every character (row of ``digits``) is 0-9, for each value (column)."""
    return np.asarray(digits.max(axis=0) <= 9)


def _number(digits: Bytes, first: int, count: int) -> Ints:
    out: Ints = digits[first].astype(np.int32)
    for j in range(first + 1, first + count):
        out *= 10
        out += digits[j]
    return out


@cache
def _known_areas() -> Mask:
    table = np.zeros(1_000_000, dtype=np.bool_)
    table[known_area_code_array()] = True
    return table


def _dates_valid(year: Ints, month: Ints, day: Ints, today: date) -> Mask:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
    month_ok = (month >= 1) & (month <= 12)
    in_month = days[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    ymd = year.astype(np.int64) * 10000 + month * 100 + day
    earliest = EARLIEST_BIRTH.year * 10000 + EARLIEST_BIRTH.month * 100 + EARLIEST_BIRTH.day
    latest = today.year * 10000 + today.month * 100 + today.day
    return np.asarray(
        month_ok & (day >= 1) & (day <= in_month) & (ymd >= earliest) & (ymd <= latest)
    )


_ID_CHECK = np.frombuffer(ID_CHECK_CHARS.encode(), dtype=np.uint8)


def id_numbers(column: PlainColumn, *, today: date | None = None) -> Mask:
    """``is_valid_id_number_array`` of the upper-cased values (GB 11643, 18 or 15 digits)."""
    today = today or date.today()
    out = np.zeros(len(column.lengths), dtype=np.bool_)
    rows, matrix = column.matrix(18)
    if len(rows):
        d = _digits(matrix)
        total = np.zeros(len(rows), dtype=np.int32)
        for j, weight in enumerate(ID_WEIGHTS):
            total += d[j] * np.int32(weight)
        ok = _all_digits(d[:17]) & (matrix[17] == _ID_CHECK[total % 11])
        ok &= _known_areas()[np.minimum(_number(d, 0, 6), 999_999)]
        ok &= _dates_valid(_number(d, 6, 4), _number(d, 10, 2), _number(d, 12, 2), today)
        out[rows] = ok
    rows, matrix = column.matrix(15)
    if len(rows):
        d = _digits(matrix)
        ok = _all_digits(d) & _known_areas()[np.minimum(_number(d, 0, 6), 999_999)]
        ok &= _dates_valid(1900 + _number(d, 6, 2), _number(d, 8, 2), _number(d, 10, 2), today)
        out[rows] = ok
    return out


@cache
def _uscc_tables() -> tuple[npt.NDArray[np.int32], Mask, Bytes]:
    values = np.full(256, -1, dtype=np.int32)
    values[list(USCC_ALPHABET.encode())] = np.arange(len(USCC_ALPHABET), dtype=np.int32)
    authority = _byte_table("".join(authorities()).encode())
    return values, authority, np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)


def usccs(column: PlainColumn) -> Mask:
    """``is_valid_uscc_array`` of the upper-cased values (GB 32100 check character)."""
    out = np.zeros(len(column.lengths), dtype=np.bool_)
    rows, matrix = column.matrix(18)
    if len(rows) == 0:
        return out
    values, authority, alphabet = _uscc_tables()
    ok = authority[matrix[0]] & _all_digits(_digits(matrix[2:8]))
    total = np.zeros(len(rows), dtype=np.int32)
    for j, weight in enumerate(USCC_WEIGHTS):
        v = values[matrix[j]]
        ok &= v >= 0
        total += v * np.int32(weight)
    last = values[matrix[17]]
    ok &= (last >= 0) & (matrix[17] == alphabet[(31 - total % 31) % 31])
    out[rows] = ok
    return out


def _luhn(d: Bytes) -> Mask:
    width = d.shape[0]
    total = np.zeros(d.shape[1], dtype=np.int32)
    for j in range(width - 1, -1, -2):
        total += d[j]
    for j in range(width - 2, -1, -2):
        doubled = d[j].astype(np.int32) * 2
        total += doubled - 9 * (doubled > 9)
    return np.asarray(_all_digits(d) & (total % 10 == 0))


def bank_cards(column: PlainColumn) -> Mask:
    """``column_checks`` BANK_CARD: 15-19 digits, Luhn, issuer 62 (UnionPay) or 3/4/5/6."""
    out = np.zeros(len(column.lengths), dtype=np.bool_)
    for width in range(15, 20):
        rows, matrix = column.matrix(width)
        if len(rows):
            issuer = (matrix[0] >= ord("3")) & (matrix[0] <= ord("6"))
            out[rows] = issuer & _luhn(_digits(matrix))
    return out


def _mobile_core(matrix: Bytes) -> Mask:
    second = matrix[1]
    return np.asarray(
        (matrix[0] == ord("1"))
        & (second >= ord("3"))
        & (second <= ord("9"))
        & _all_digits(_digits(matrix[2:]))
    )


def mobiles(column: PlainColumn) -> Mask:
    """``column_checks`` CN_MOBILE: 1[3-9] + 9 digits, optionally after 86 or +86."""
    out = np.zeros(len(column.lengths), dtype=np.bool_)
    for width, prefix in ((11, b""), (13, b"86"), (14, b"+86")):
        rows, matrix = column.matrix(width)
        if len(rows):
            ok = _mobile_core(matrix[len(prefix) :])
            for j, byte in enumerate(prefix):
                ok &= matrix[j] == byte
            out[rows] = ok
    return out


CHECKS: dict[PiiType, Callable[[PlainColumn], Mask]] = {
    "CN_ID_CARD": id_numbers,
    "CN_USCC": usccs,
    "BANK_CARD": bank_cards,
    "CN_MOBILE": mobiles,
}
