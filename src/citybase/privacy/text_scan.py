"""A batch of texts as one array of code points, and the number runs found in it with NumPy.

Why: ``re`` attempts a pattern at every position, and a third of a complaint's characters
are digits, so a dozen regex passes over a batch cost seconds. ID numbers, USCCs, bank cards,
mobiles and landlines written without separators are whole runs of ASCII digits (and
letters): finding the runs once with NumPy and testing only those of the right length and
shape does the same work in a few array passes. Texts where a number may be written another
way (``139-1234-5678``, ``+86``, ``(025)``, ``转801``, full-width or other non-ASCII digits)
are flagged as *irregular*; ``detect_text`` runs the full regular expressions over those
texts only, so the result is the same as running the patterns everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from citybase.identifiers import (
    PROVINCE_ABBREVIATIONS,
    is_valid_id_number_array,
    is_valid_uscc_array,
)
from citybase.privacy import text_patterns as tp
from citybase.privacy.policy import PiiType

Positions = npt.NDArray[np.int64]
Codes = npt.NDArray[np.uint32]
Mask = npt.NDArray[np.bool_]
SEPARATOR = "\x00"
_ZERO, _NINE = ord("0"), ord("9")


# Character classes, one bit each, looked up once per batch (``Batch.classes``).
DIGIT, UPPER, LOWER, OTHER_DIGIT, SPECIAL, SPACE_DASH = 1, 2, 4, 8, 16, 32
PLACE, NAME, ROAD_END, PROVINCE = 64, 128, 256, 512
"""PLACE: CJK but not a stop character; NAME: may be in a person's name; ROAD_END: last
character of an address road word; PROVINCE: a plate's province abbreviation."""


@cache
def _decimal_table() -> Mask:
    """``table[c]``: is code point ``c`` a Unicode decimal digit (what ``\\d`` matches)."""
    table = np.zeros(0x110000, dtype=np.bool_)
    table[[c for c in range(0x110000) if chr(c).isdecimal()]] = True
    return table


@cache
def _class_table() -> npt.NDArray[np.uint16]:
    table = np.zeros(0x10000, dtype=np.uint16)

    def mark(bit: int, chars: str) -> None:
        table[[ord(c) for c in chars]] |= bit

    mark(DIGIT, "0123456789")
    mark(UPPER, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    mark(LOWER, "abcdefghijklmnopqrstuvwxyz")
    decimal = np.flatnonzero(_decimal_table()[:0x10000])
    table[decimal[decimal >= 0x80]] |= OTHER_DIGIT
    mark(SPECIAL, "+()转")
    mark(SPACE_DASH, " -")
    table[0x4E00:0xA000] |= PLACE | NAME
    table[[ord(c) for c in tp.STOP_CHARS]] &= ~np.uint16(PLACE)
    table[[ord(c) for c in tp.NOT_IN_NAMES]] &= ~np.uint16(NAME)
    mark(ROAD_END, tp.ADDRESS_WORD_ENDS)
    mark(PROVINCE, PROVINCE_ABBREVIATIONS)
    return table


def decimal_digits(codes: Codes) -> Mask:
    """Which code points ``\\d`` matches (any Unicode decimal digit)."""
    return np.asarray(_decimal_table()[codes])


@dataclass(frozen=True, slots=True)
class Batch:
    """Texts joined with NUL (no pattern matches across it), code points and classes."""

    joined: str
    codes: Codes
    classes: npt.NDArray[np.uint16]
    starts: Positions
    """Offset of each text in ``joined``; ``ends`` is where each text stops."""
    ends: Positions

    def has(self, bits: int) -> Mask:
        """Which characters of ``joined`` are in any of the classes ``bits``."""
        return np.asarray((self.classes & bits) != 0)

    def text_of(self, positions: Positions) -> Positions:
        """Index of the text holding each position of ``joined``."""
        return np.asarray(np.searchsorted(self.starts, positions, side="right") - 1)

    def texts_with(self, chars: str) -> Positions:
        """Indices of the texts that contain any of ``chars``."""
        hit = np.zeros(len(self.codes), dtype=np.bool_)
        for char in chars:
            hit |= self.codes == ord(char)
        return np.unique(self.text_of(np.flatnonzero(hit)))

    def run_start(self, bits: int, positions: Positions, reach: int) -> Positions:
        """For positions inside a run of characters of class ``bits``: where the run starts,
        looking back at most ``reach`` characters (only a few are ever needed)."""
        back = positions[:, None] - np.arange(1, reach + 1, dtype=np.int64)
        inside = (back >= 0) & ((self.classes[np.maximum(back, 0)] & bits) != 0)
        inside = np.concatenate([inside, np.zeros((len(positions), 1), dtype=np.bool_)], axis=1)
        return np.asarray(positions - np.argmin(inside, axis=1))


def make_batch(texts: Sequence[str]) -> Batch:
    joined = SEPARATOR.join(texts)
    if joined.count(SEPARATOR) != len(texts) - 1:  # a text holds NUL itself: blank it
        joined = SEPARATOR.join(t.replace(SEPARATOR, " ") for t in texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
    classes = _class_table()[np.minimum(codes, 0xFFFF)]
    astral = np.flatnonzero(codes > 0xFFFF)  # outside the table: only digits matter there
    classes[astral] = np.where(decimal_digits(codes[astral]), OTHER_DIGIT, 0)
    return Batch(joined=joined, codes=codes, classes=classes, starts=starts, ends=starts + lengths)


def runs(mask: Mask) -> tuple[Positions, Positions]:
    """Start and end (exclusive) of every maximal run of True in ``mask``."""
    first = mask.copy()
    first[1:] &= ~mask[:-1]
    last = mask.copy()
    last[:-1] &= ~mask[1:]
    return np.flatnonzero(first), np.flatnonzero(last) + 1


def strings(codes: Codes, starts: Positions, ends: Positions) -> npt.NDArray[np.str_]:
    """``joined[s:e]`` for many short spans at once, as a NumPy unicode array (no Python loop)."""
    if len(starts) == 0:
        return np.zeros(0, dtype="<U1")
    width = int((ends - starts).max())
    index = starts[:, None] + np.arange(width, dtype=np.int64)
    chars = codes[np.minimum(index, len(codes) - 1)]
    chars[index >= ends[:, None]] = 0  # NumPy strings end at the first trailing NUL
    return np.ascontiguousarray(chars, dtype="<u4").view(f"<U{width}").reshape(-1)


def _all(batch: Batch, starts: Positions, width: int, bits: int) -> Mask:
    """Whether the ``width`` characters from each start are all of class ``bits``."""
    index = np.minimum(starts[:, None] + np.arange(width, dtype=np.int64), len(batch.codes) - 1)
    return np.asarray(((batch.classes[index] & bits) != 0).all(axis=1))


def irregular_texts(batch: Batch) -> Mask:
    """Texts where a number may be written with separators, a prefix or non-ASCII digits."""
    flagged = batch.has(OTHER_DIGIT | SPECIAL)
    digit, decimal = batch.has(DIGIT), batch.has(DIGIT | OTHER_DIGIT)
    flagged[1:-1] |= digit[:-2] & batch.has(SPACE_DASH)[1:-1] & decimal[2:]
    out = np.zeros(len(batch.starts), dtype=np.bool_)
    out[batch.text_of(np.flatnonzero(flagged))] = True
    return out


@dataclass(frozen=True, slots=True)
class Found:
    """Candidate spans of one type, in ``joined`` coordinates."""

    starts: Positions
    ends: Positions


def _at(codes: Codes, positions: Positions) -> Codes:
    return codes[np.minimum(positions, len(codes) - 1)]


def _is(codes: Codes, positions: Positions, low: str, high: str) -> Mask:
    c = _at(codes, positions)
    return np.asarray((c >= ord(low)) & (c <= ord(high)))


def _validated(
    check: Callable[[npt.NDArray[np.str_]], Mask],
    codes: Codes,
    starts: Positions,
    ends: Positions,
) -> Mask:
    if len(starts) == 0:
        return np.zeros(0, dtype=np.bool_)
    return np.asarray(check(strings(codes, starts, ends)), dtype=np.bool_)


def plain_numbers(batch: Batch, skip: Mask) -> dict[PiiType, Found]:
    """Validated ID, USCC, bank-card, mobile and landline spans in the texts not in ``skip``.

    Mirrors ``text_patterns``: an ID number is a whole run of ASCII letters and digits, a
    USCC a whole run of digits and capitals, the others whole runs of digits, since each
    pattern's look-arounds refuse a neighbour of those classes.
    """
    codes = batch.codes

    def keep(starts: Positions, ends: Positions, good: Mask) -> Found:
        chosen = good & ~skip[batch.text_of(starts)] if len(starts) else good
        return Found(starts[chosen], ends[chosen])

    out: dict[PiiType, Found] = {}
    s, e = runs(batch.has(DIGIT | UPPER | LOWER))
    size = e - s
    s, e = s[(size == 15) | (size == 18)], e[(size == 15) | (size == 18)]
    last = _at(codes, e - 1)
    shaped = np.where(
        e - s == 15,
        _all(batch, s, 15, DIGIT),
        _all(batch, s, 17, DIGIT)
        & (((last >= _ZERO) & (last <= _NINE)) | (last == ord("X")) | (last == ord("x"))),
    )
    s, e = s[shaped], e[shaped]
    out["CN_ID_CARD"] = keep(s, e, _validated(is_valid_id_number_array, codes, s, e))

    s, e = runs(batch.has(DIGIT | UPPER))
    s, e = s[e - s == 18], e[e - s == 18]
    shaped = _all(batch, s + 2, 6, DIGIT)
    s, e = s[shaped], e[shaped]
    out["CN_USCC"] = keep(s, e, _validated(is_valid_uscc_array, codes, s, e))

    s, e = runs(batch.has(DIGIT))
    size = e - s
    bank = (size >= 16) & (size <= 19)
    out["BANK_CARD"] = keep(
        s[bank], e[bank], _validated(tp.valid_bank_card_array, codes, s[bank], e[bank])
    )
    mobile = (size == 11) & (_at(codes, s) == ord("1")) & _is(codes, s + 1, "3", "9")
    mobile |= (
        (size == 15)
        & (_at(codes, s) == _ZERO)
        & (_at(codes, s + 1) == _ZERO)
        & (_at(codes, s + 2) == ord("8"))
        & (_at(codes, s + 3) == ord("6"))
        & (_at(codes, s + 4) == ord("1"))
        & _is(codes, s + 5, "3", "9")
    )
    out["CN_MOBILE"] = keep(s[mobile], e[mobile], np.ones(int(mobile.sum()), dtype=np.bool_))
    # 0 + 2-3 digit area code + local number of 7-8 digits starting 2-9
    landline = (size >= 10) & (size <= 12) & (_at(codes, s) == _ZERO)
    landline &= (_is(codes, s + 3, "2", "9") & (size <= 11)) | (
        _is(codes, s + 4, "2", "9") & (size >= 11)
    )
    s, e = s[landline], e[landline]
    good = np.array([tp.valid_landline(batch.joined[a:b]) for a, b in zip(s, e, strict=True)])
    out["CN_LANDLINE"] = keep(s, e, good.astype(np.bool_).reshape(-1))
    return out
