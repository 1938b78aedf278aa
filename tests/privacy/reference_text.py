"""The straightforward free-text detector: every pattern run over the whole batch.

This is ``detect_text.find_spans_batch`` as it was before the batch scanner (``text_scan``),
with the original patterns (look-behind first) and the one-by-one plate validator. The tests
use it as an oracle: the fast path must return exactly the same spans.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Any

import numpy as np

from citybase.identifiers import (
    PROVINCE_ABBREVIATIONS,
    is_valid_id_number_array,
    is_valid_plate,
    is_valid_uscc_array,
)
from citybase.privacy import text_patterns as tp
from citybase.privacy.detect_text import _ORDER, Span
from citybase.privacy.dictionaries import surnames
from citybase.privacy.policy import PiiType

_PRIORITY: dict[PiiType, int] = {t: i for i, t in enumerate(_ORDER)}
_SEPARATOR = "\x00"
ID_CARD = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|\d{15})(?![0-9A-Za-z])")
BANK_CARD = re.compile(r"(?<![0-9])(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?![0-9])")
USCC = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}(?![0-9A-Z])")
PLATE = re.compile(
    rf"(?<![A-Z0-9])[{PROVINCE_ABBREVIATIONS}][A-HJ-NP-Z][·• ]?[A-HJ-NP-Z0-9]{{4,6}}"
    r"[学挂警领港澳]?(?![A-Z0-9])"
)
PASSPORT = re.compile(r"(?<![A-Z0-9])(?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[GDSP][0-9]{8})(?![A-Z0-9])")


def valid_plate(text: str) -> bool:
    return is_valid_plate(text.translate(str.maketrans("", "", "·• ")))


_Candidate = tuple[int, int, PiiType]
_SIMPLE: tuple[tuple[PiiType, re.Pattern[str], Callable[[str], bool] | None], ...] = (
    ("CN_MOBILE", tp.MOBILE, None),
    ("CN_LANDLINE", tp.LANDLINE, tp.valid_landline),
    ("CN_PLATE", PLATE, valid_plate),
)
#: Patterns that can only match in a text containing one of their trigger characters: they
#: run over the texts that have one, not over the whole batch.
_TRIGGERED: tuple[tuple[PiiType, re.Pattern[str], Callable[[str], bool] | None, str], ...] = (
    ("EMAIL", tp.EMAIL, None, "@"),
    ("IP_ADDRESS", tp.IP_ADDRESS, tp.valid_ip, "."),
    ("GPS_COORDINATE", tp.GPS, tp.valid_gps, "."),
    ("PASSPORT", PASSPORT, None, "EGDSP"),
)


def _bulk_validated(joined: str) -> list[_Candidate]:
    """ID numbers and USCCs: collect every candidate, validate them in one vectorised call."""
    out: list[_Candidate] = []
    bulk: tuple[tuple[PiiType, re.Pattern[str], Callable[[Any], Any]], ...] = (
        ("CN_ID_CARD", ID_CARD, is_valid_id_number_array),
        ("CN_USCC", USCC, is_valid_uscc_array),
        ("BANK_CARD", BANK_CARD, tp.valid_bank_card_array),
    )
    for pii_type, pattern, check in bulk:
        found = [(m.start(), m.end(), m.group()) for m in pattern.finditer(joined)]
        if not found:
            continue
        ok = check(np.array([f[2] for f in found], dtype=np.str_))
        out.extend((s, e, pii_type) for (s, e, _), good in zip(found, ok, strict=True) if good)
    return out


def _simple(joined: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    for pii_type, pattern, check in _SIMPLE:
        for m in pattern.finditer(joined):
            if check is None or check(m.group()):
                out.append((m.start(), m.end(), pii_type))
    return out


def _addresses(joined: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    for m in tp.ADDRESS.finditer(joined):
        out.append((m.start() + tp.trim_address_start(m.group()), m.end(), "ADDRESS"))
    for m in tp.RURAL_ADDRESS.finditer(joined):
        if tp.valid_rural(m.group(1)):
            out.append((m.start() + tp.trim_address_start(m.group()), m.end(), "ADDRESS"))
    return out


def _names(joined: str) -> list[_Candidate]:
    names = surnames()
    before, after = tp.name_patterns()
    out: list[_Candidate] = []
    for m in before.finditer(joined):
        cand, start = m.group(1), m.start(1)
        s = names.starts(cand)
        if s == 0:
            continue
        rest = joined[start + s : start + s + 2]
        if len(cand) == s:
            if rest.startswith(tp.HONORIFICS):
                out.append((start, start + s, "PERSON_NAME"))
            continue
        length = min(len(cand), s + 2)
        out.append((start, start + length, "PERSON_NAME"))
    for m in after.finditer(joined):
        end = m.start()
        start = end
        while start > end - 4 and start > 0 and tp.is_name_char(joined[start - 1]):
            start -= 1
        if start == end:
            continue
        cand = joined[start:end]
        honorific = joined.startswith(tp.HONORIFICS, end)
        for length in range(min(len(cand), 4), 0, -1):
            piece = cand[-length:]
            s = names.starts(piece)
            if s and (length == s + 1 or length == s + 2 or (honorific and length == s)):
                out.append((end - length, end, "PERSON_NAME"))
                break
    return out


def _resolve(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keep non-overlapping spans: by priority of type, then longer, then earlier."""
    ranked = sorted(candidates, key=lambda c: (_PRIORITY[c[2]], c[0] - c[1], c[0]))
    taken: list[_Candidate] = []
    occupied: list[tuple[int, int]] = []  # sorted, disjoint
    for cand in ranked:
        start, end, _ = cand
        i = bisect_right(occupied, (start, end))
        if i > 0 and occupied[i - 1][1] > start:
            continue
        if i < len(occupied) and occupied[i][0] < end:
            continue
        occupied.insert(i, (start, end))
        taken.append(cand)
    taken.sort()
    return taken


def _triggered(texts: list[str], starts: list[int]) -> list[_Candidate]:
    out: list[_Candidate] = []
    for pii_type, pattern, check, trigger in _TRIGGERED:
        chosen = [i for i, t in enumerate(texts) if any(c in t for c in trigger)]
        if not chosen:
            continue
        joined = _SEPARATOR.join(texts[i] for i in chosen)
        local = [0, *accumulate(len(texts[i]) + 1 for i in chosen)][:-1]
        for m in pattern.finditer(joined):
            if check is None or check(m.group()):
                k = bisect_right(local, m.start()) - 1
                shift = starts[chosen[k]] - local[k]
                out.append((m.start() + shift, m.end() + shift, pii_type))
    return out


def reference_spans(texts: Sequence[str]) -> list[list[Span]]:
    """Every pattern over the whole joined batch, as ``find_spans_batch`` did before 0.x."""
    cleaned = [t.replace(_SEPARATOR, " ") for t in texts]
    if not cleaned:
        return []
    starts = [0, *accumulate(len(t) + 1 for t in cleaned)][:-1]
    joined = _SEPARATOR.join(cleaned)
    candidates = _bulk_validated(joined) + _simple(joined) + _addresses(joined) + _names(joined)
    per_text: list[list[_Candidate]] = [[] for _ in cleaned]
    for cand in candidates + _triggered(cleaned, starts):
        per_text[bisect_right(starts, cand[0]) - 1].append(cand)
    result: list[list[Span]] = []
    for base, found in zip(starts, per_text, strict=True):
        spans = _resolve(found) if len(found) > 1 else found
        result.append([Span(start - base, end - base, pii_type) for start, end, pii_type in spans])
    return result
