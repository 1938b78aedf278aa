"""PII detection in free text: spans of the same types as the column scan, and redaction.

Structured identifiers are found by regular expressions and then validated (check digits,
Luhn, GB/T 2260 area codes, plate formats), so an 18-digit order number or a tracking
number is not reported. Person names and addresses in running Chinese text are found with
dictionaries (surnames, GB/T 2260 division names) and context words (市民…, …先生, …反映),
because a surname followed by one or two characters alone matches ordinary words.

``find_spans_batch`` joins the texts with NUL and runs each pattern once over the whole
batch, validating candidates in bulk (``is_valid_id_number_array``, ``is_valid_uscc_array``):
the per-text cost is a few dictionary look-ups, not a dozen regex passes.

``redact`` replaces each span by a placeholder naming its type, such as 【手机号】, so a
reader still understands the complaint; the labels come from the grading policy.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np

from citybase.identifiers import is_valid_id_number_array, is_valid_uscc_array
from citybase.privacy import text_patterns as tp
from citybase.privacy.dictionaries import surnames
from citybase.privacy.policy import GradingPolicy, PiiType, load_policy

#: When two candidate spans overlap, the one whose type comes first wins (then the longer).
_ORDER: tuple[PiiType, ...] = (
    "CN_ID_CARD", "CN_USCC", "BANK_CARD", "CN_MOBILE", "CN_LANDLINE", "EMAIL",
    "PASSPORT", "CN_PLATE", "IP_ADDRESS", "GPS_COORDINATE", "ADDRESS", "PERSON_NAME",
)  # fmt: skip
_PRIORITY: dict[PiiType, int] = {t: i for i, t in enumerate(_ORDER)}
_SEPARATOR = "\x00"


@dataclass(frozen=True, slots=True)
class Span:
    """``text[start:end]`` is personal information of ``type``."""

    start: int
    end: int
    type: PiiType

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "type": self.type}


_Candidate = tuple[int, int, PiiType]
_SIMPLE: tuple[tuple[PiiType, re.Pattern[str], Callable[[str], bool] | None], ...] = (
    ("CN_MOBILE", tp.MOBILE, None),
    ("CN_LANDLINE", tp.LANDLINE, tp.valid_landline),
    ("CN_PLATE", tp.PLATE, tp.valid_plate),
)
#: Patterns that can only match in a text containing one of their trigger characters: they
#: run over the texts that have one, not over the whole batch.
_TRIGGERED: tuple[tuple[PiiType, re.Pattern[str], Callable[[str], bool] | None, str], ...] = (
    ("EMAIL", tp.EMAIL, None, "@"),
    ("IP_ADDRESS", tp.IP_ADDRESS, tp.valid_ip, "."),
    ("GPS_COORDINATE", tp.GPS, tp.valid_gps, "."),
    ("PASSPORT", tp.PASSPORT, None, "EGDSP"),
)


def _bulk_validated(joined: str) -> list[_Candidate]:
    """ID numbers and USCCs: collect every candidate, validate them in one vectorised call."""
    out: list[_Candidate] = []
    bulk: tuple[tuple[PiiType, re.Pattern[str], Callable[[Any], Any]], ...] = (
        ("CN_ID_CARD", tp.ID_CARD, is_valid_id_number_array),
        ("CN_USCC", tp.USCC, is_valid_uscc_array),
        ("BANK_CARD", tp.BANK_CARD, tp.valid_bank_card_array),
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


def find_spans_batch(texts: Sequence[str]) -> list[list[Span]]:
    """Spans for many texts at once; same result as ``find_spans`` on each, much faster."""
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


def find_spans(text: str) -> list[Span]:
    """Non-overlapping PII spans in one text, in order."""
    return find_spans_batch([text])[0]


def redact(text: str, spans: Sequence[Span], *, policy: GradingPolicy | None = None) -> str:
    """The text with each span replaced by 【type label】 (e.g. 【手机号】)."""
    policy = policy or load_policy()
    pieces: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < cursor or span.end > len(text) or span.start > span.end:
            raise ValueError(f"span {span} overlaps another or lies outside the text")
        pieces.append(text[cursor : span.start])
        pieces.append(f"【{policy.label(span.type)}】")
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces)
