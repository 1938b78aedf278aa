"""Person names and addresses in a batch of running Chinese text (see ``detect_text``).

Names: a context word (``name_context.yaml``) is found by one regex pass; everything after
that (does a surname start here, is a compound surname, is an honorific next) is decided on
arrays of code points for all matches at once, not match by match in Python.

Addresses: the address patterns are lazy and start with a class that matches almost any
Chinese character, so ``finditer`` tries them at every position. Each match has an anchor
(a digit right after a road word; 村 or 社区), so the search starts near anchors only.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import cache

import numpy as np

from citybase.privacy import text_patterns as tp
from citybase.privacy import text_scan as ts
from citybase.privacy.dictionaries import surnames

Positions = ts.Positions
_SHIFT = 21  # code points fit in 21 bits: a pair of them is one int64


def _pairs(codes: ts.Codes, positions: Positions) -> Positions:
    """The two code points at each position (and the next) as one integer."""
    nxt = codes[np.minimum(positions + 1, len(codes) - 1)]
    return (codes[positions].astype(np.int64) << _SHIFT) | nxt.astype(np.int64)


@cache
def _pair_codes(words: frozenset[str]) -> Positions:
    return np.array(sorted((ord(w[0]) << _SHIFT) | ord(w[1]) for w in words), dtype=np.int64)


def _is_pair(codes: ts.Codes, positions: Positions, words: frozenset[str]) -> ts.Mask:
    """Whether one of the two-character ``words`` starts at each position."""
    inside = positions + 1 < len(codes)
    return np.asarray(np.isin(_pairs(codes, positions), _pair_codes(words)) & inside)


@cache
def _single_surnames() -> Positions:
    return np.array(sorted(ord(c) for c in surnames().single), dtype=np.int64)


def _surname_length(codes: ts.Codes, positions: Positions, room: Positions) -> Positions:
    """``Surnames.starts`` at each position, for a candidate of ``room`` characters."""
    names = surnames()
    single = np.isin(codes[positions], _single_surnames())
    double = _is_pair(codes, positions, names.compound) & (room >= 2)
    return np.where(double, 2, np.where(single, 1, 0))


def person_names(batch: ts.Batch) -> tuple[Positions, Positions]:
    """Start and end of every person-name candidate (context word before or after)."""
    codes, joined = batch.codes, batch.joined
    before, after = tp.name_patterns()
    honorifics = frozenset(tp.HONORIFICS)
    spans = np.array([m.span(1) for m in before.finditer(joined)], dtype=np.int64)
    spans = spans.reshape(-1, 2)
    start, size = spans[:, 0], spans[:, 1] - spans[:, 0]
    s = _surname_length(codes, start, size)
    # 王先生: the surname alone before an honorific; 王小明: surname plus up to two characters
    alone = (s > 0) & (size == s) & _is_pair(codes, start + s, honorifics)
    longer = (s > 0) & (size > s)
    starts = [start[alone], start[longer]]
    ends = [start[alone] + s[alone], start[longer] + np.minimum(size, s + 2)[longer]]

    end = np.array([m.start() for m in after.finditer(joined)], dtype=np.int64)
    end = end[end > 0]
    end = end[(batch.classes[end - 1] & ts.NAME) != 0]
    room = end - batch.run_start(ts.NAME, end - 1, 3)
    honorific = _is_pair(codes, end, honorifics)
    chosen = np.zeros(len(end), dtype=np.int64)
    for length in (1, 2, 3, 4):  # the longest piece that fits wins, as in the loop it mirrors
        s = _surname_length(codes, end - length, np.full(len(end), length))
        fits = (length <= room) & (s > 0)
        fits &= (length == s + 1) | (length == s + 2) | (honorific & (length == s))
        chosen = np.where(fits, length, chosen)
    found = chosen > 0
    starts.append(end[found] - chosen[found])
    ends.append(end[found])
    return np.concatenate(starts), np.concatenate(ends)


def _anchored(
    batch: ts.Batch, pattern: re.Pattern[str], anchors: Positions, bounds: Positions
) -> list[re.Match[str]]:
    """``pattern.finditer`` over the batch, but searching only from near each anchor.

    Every match of ``pattern`` holds an anchor and starts no earlier than that anchor's bound
    (bounds never decrease along the text), so from ``pos`` no match can start before the
    bound of the first anchor at or after ``pos``: searching from there finds the same match.
    """
    at, low = anchors.tolist(), bounds.tolist()
    stop = batch.ends[batch.text_of(anchors)].tolist()
    out: list[re.Match[str]] = []
    pos = i = 0
    while i < len(at):
        if at[i] < pos:
            i = bisect_left(at, pos, i)
            continue
        m = pattern.search(batch.joined, max(pos, low[i]), stop[i])
        if m is None:
            pos = stop[i]
        else:
            out.append(m)
            pos = m.end()
    return out


@cache
def _road_words() -> tuple[Positions, Positions]:
    """Code points of the one-character road words, pair codes of the two-character ones."""
    one = np.array(sorted(ord(w) for w in tp.ROAD_WORDS if len(w) == 1), dtype=np.int64)
    return one, _pair_codes(frozenset(w for w in tp.ROAD_WORDS if len(w) == 2))


def _street_addresses(batch: ts.Batch) -> tuple[list[int], list[int]]:
    """``tp.ADDRESS.finditer`` without trying it at every character.

    A match is PLACE{2,30}? + road word + numbered units, and the units start with a digit,
    so the road word ends right before an anchor digit ``a`` and the lazy body stops at the
    first road word that ends there: at ``a-2`` when a two-character word such as 大道 ends
    there, else at ``a-1``. The leftmost start is then the furthest place character back,
    at most 30 before that word. Only the units are matched by regex, from the anchor.
    """
    codes, joined = batch.codes, batch.joined
    road_end = np.flatnonzero(batch.has(ts.ROAD_END)[:-1])
    anchors = road_end[ts.decimal_digits(codes[road_end + 1])] + 1
    anchors = anchors[anchors >= 3]
    run = batch.run_start(ts.PLACE, anchors - 1, 31)
    one, two = _road_words()
    p2 = np.maximum(run, anchors - 32)
    ok2 = np.isin(_pairs(codes, anchors - 2), two) & (anchors - 2 - p2 >= 2)
    p1 = np.maximum(run, anchors - 31)
    ok1 = np.isin(codes[anchors - 1], one) & (anchors - 1 - p1 >= 2)
    chosen = ok1 | ok2
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    units = tp.UNITS.match
    for a, q2, good2, q1, good1 in zip(
        anchors[chosen].tolist(),
        p2[chosen].tolist(),
        ok2[chosen].tolist(),
        p1[chosen].tolist(),
        ok1[chosen].tolist(),
        strict=True,
    ):
        if a < pos:
            continue
        if pos > q1 or pos > q2:  # the previous match ends inside this run: start after it
            good2 = good2 and a - 2 - max(q2, pos) >= 2
            good1 = good1 and a - 1 - max(q1, pos) >= 2
            q2, q1 = max(q2, pos), max(q1, pos)
        if not (good1 or good2):
            continue
        m = units(joined, a)
        if m is None:
            continue
        start = q2 if good2 else q1
        starts.append(start + tp.trim_address_body(joined[start:a]))
        ends.append(m.end())
        pos = m.end()
    return starts, ends


def addresses(batch: ts.Batch) -> tuple[list[int], list[int]]:
    """Start and end of every address (street-numbered, or township + village)."""
    codes = batch.codes
    starts, ends = _street_addresses(batch)
    village = codes == ord("村")
    village[:-1] |= (codes[:-1] == ord("社")) & (codes[1:] == ord("区"))
    anchors = np.flatnonzero(village)
    bounds = np.maximum(anchors - tp.RURAL_REACH, batch.run_start(ts.PLACE, anchors, 30))
    for m in _anchored(batch, tp.RURAL_ADDRESS, anchors, bounds):
        if tp.valid_rural(m.group(1)):
            starts.append(m.start() + tp.trim_address_body(m.group()))
            ends.append(m.end())
    return starts, ends
