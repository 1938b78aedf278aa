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

from citybase.identifiers import is_valid_id_number_array, is_valid_uscc_array
from citybase.privacy import text_patterns as tp
from citybase.privacy.policy import PiiType

Positions = npt.NDArray[np.int64]
Codes = npt.NDArray[np.uint32]
Mask = npt.NDArray[np.bool_]
SEPARATOR = "\x00"
_ZERO, _NINE = ord("0"), ord("9")


@cache
def _decimal_table() -> Mask:
    """``table[c]``: is code point ``c`` a Unicode decimal digit (what ``\\d`` matches)."""
    table = np.zeros(0x110000, dtype=np.bool_)
    table[[c for c in range(0x110000) if chr(c).isdecimal()]] = True
    return table


def decimal_digits(codes: Codes) -> Mask:
    """Which code points ``\\d`` matches (any Unicode decimal digit).

    Only code points outside ASCII and outside the CJK block are looked up in the table:
    there are few of them in Chinese text, and a gather over every character is slow.
    """
    out = (codes >= _ZERO) & (codes <= _NINE)
    other = np.flatnonzero((codes >= 0x80) & ((codes < 0x4E00) | (codes > 0x9FFF)))
    out[other] = _decimal_table()[codes[other]]
    return out


@dataclass(frozen=True, slots=True)
class Batch:
    """Texts joined with NUL (no pattern matches across it) and their code points."""

    joined: str
    codes: Codes
    starts: Positions
    """Offset of each text in ``joined``; ``ends`` is where each text stops."""
    ends: Positions

    def text_of(self, positions: Positions) -> Positions:
        """Index of the text holding each position of ``joined``."""
        return np.asarray(np.searchsorted(self.starts, positions, side="right") - 1)

    def texts_with(self, chars: str) -> Positions:
        """Indices of the texts that contain any of ``chars``."""
        hit = np.zeros(len(self.codes), dtype=np.bool_)
        for char in chars:
            hit |= self.codes == ord(char)
        return np.unique(self.text_of(np.flatnonzero(hit)))


def make_batch(texts: Sequence[str]) -> Batch:
    joined = SEPARATOR.join(texts)
    if joined.count(SEPARATOR) != len(texts) - 1:  # a text holds NUL itself: blank it
        joined = SEPARATOR.join(t.replace(SEPARATOR, " ") for t in texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
    return Batch(joined=joined, codes=codes, starts=starts, ends=starts + lengths)


def runs(mask: Mask) -> tuple[Positions, Positions]:
    """Start and end (exclusive) of every maximal run of True in ``mask``."""
    first = mask.copy()
    first[1:] &= ~mask[:-1]
    last = mask.copy()
    last[:-1] &= ~mask[1:]
    return np.flatnonzero(first), np.flatnonzero(last) + 1


def run_start_at(mask: Mask, positions: Positions) -> Positions:
    """Where the run of True in ``mask`` that holds each position starts (positions in runs)."""
    outside = np.concatenate(([-1], np.flatnonzero(~mask)))
    return np.asarray(outside[np.searchsorted(outside, positions, side="right") - 1] + 1)


@cache
def bmp_table(chars: str, *, cjk_except: bool = False) -> Mask:
    """Lookup over the Basic Multilingual Plane: ``chars``, or (``cjk_except``) every CJK
    ideograph U+4E00–U+9FFF except ``chars``. Index it with ``np.minimum(codes, 0xFFFF)``."""
    table = np.zeros(0x10000, dtype=np.bool_)
    if cjk_except:
        table[0x4E00:0xA000] = True
    table[[ord(c) for c in chars if ord(c) < 0x10000]] = not cjk_except
    return table


def lookup(table: Mask, codes: Codes) -> Mask:
    """``table`` from ``bmp_table`` applied to code points (anything above the BMP: False)."""
    return np.asarray(table[np.minimum(codes, 0xFFFF)] & (codes < 0x10000))


def strings(codes: Codes, starts: Positions, ends: Positions) -> npt.NDArray[np.str_]:
    """``joined[s:e]`` for many short spans at once, as a NumPy unicode array (no Python loop)."""
    if len(starts) == 0:
        return np.zeros(0, dtype="<U1")
    width = int((ends - starts).max())
    index = starts[:, None] + np.arange(width, dtype=np.int64)
    chars = codes[np.minimum(index, len(codes) - 1)]
    chars[index >= ends[:, None]] = 0  # NumPy strings end at the first trailing NUL
    return np.ascontiguousarray(chars, dtype="<u4").view(f"<U{width}").reshape(-1)


def irregular_texts(batch: Batch) -> Mask:
    """Texts where a number may be written with separators, a prefix or non-ASCII digits."""
    codes = batch.codes
    decimal = decimal_digits(codes)
    ascii_digit = (codes >= _ZERO) & (codes <= _NINE)
    flagged = decimal & ~ascii_digit
    for char in "+()转":
        flagged |= codes == ord(char)
    separator = (codes == ord(" ")) | (codes == ord("-"))
    flagged[1:-1] |= ascii_digit[:-2] & separator[1:-1] & decimal[2:]
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
    digit = (codes >= _ZERO) & (codes <= _NINE)
    capital = (codes >= ord("A")) & (codes <= ord("Z"))
    lower = (codes >= ord("a")) & (codes <= ord("z"))
    counted = np.zeros(len(codes) + 1, dtype=np.int32)
    np.cumsum(digit, out=counted[1:])

    def keep(starts: Positions, ends: Positions, good: Mask) -> Found:
        chosen = good & ~skip[batch.text_of(starts)] if len(starts) else good
        return Found(starts[chosen], ends[chosen])

    out: dict[PiiType, Found] = {}
    s, e = runs(digit | capital | lower)
    size = e - s
    last = _at(codes, e - 1)
    shaped = ((size == 15) & (counted[e] - counted[s] == 15)) | (
        (size == 18)
        & (counted[np.minimum(s + 17, len(codes))] - counted[s] == 17)
        & (((last >= _ZERO) & (last <= _NINE)) | (last == ord("X")) | (last == ord("x")))
    )
    s, e = s[shaped], e[shaped]
    out["CN_ID_CARD"] = keep(s, e, _validated(is_valid_id_number_array, codes, s, e))

    s, e = runs(digit | capital)
    shaped = e - s == 18
    s, e = s[shaped], e[shaped]
    shaped = counted[s + 8] - counted[s + 2] == 6
    s, e = s[shaped], e[shaped]
    out["CN_USCC"] = keep(s, e, _validated(is_valid_uscc_array, codes, s, e))

    s, e = runs(digit)
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
