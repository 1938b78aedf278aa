"""The recall pass over a batch: context-led numbers, names and addresses (see ``detect_text``).

The strict pass has already validated every plain number. The context patterns
(``text_numbers``) only matter where a number is left over, so they run over the texts that
hold a digit run the strict pass did not report (7-13 digits for phones, 15-19 for cards,
17-18 for ID numbers) or that write numbers irregularly (separators, full-width digits).
Names (``text_names``) and addresses (``text_address``) are searched in every text; address
starts are only looked for where two characters end a known division name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from citybase.privacy import text_address as ta
from citybase.privacy import text_names as tn
from citybase.privacy import text_numbers as tnum
from citybase.privacy import text_scan as ts
from citybase.privacy.dictionaries import divisions
from citybase.privacy.text_numbers import Hit

_SHIFT = 21


def _in_texts(batch: ts.Batch, texts: np.ndarray, scan: Callable[[str], list[Hit]]) -> list[Hit]:
    """Run ``scan`` over the chosen texts only (joined with NUL), in ``batch`` coordinates."""
    if len(texts) == 0:
        return []
    starts, ends = batch.starts[texts], batch.ends[texts]
    pieces = [batch.joined[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
    local = np.zeros(len(texts), dtype=np.int64)
    np.cumsum((ends - starts)[:-1] + 1, out=local[1:])
    found = scan(ts.SEPARATOR.join(pieces))
    if not found:
        return []
    at = np.array([h.start for h in found], dtype=np.int64)
    shift = (starts - local)[np.searchsorted(local, at, side="right") - 1].tolist()
    return [
        Hit(h.start + d, h.end + d, h.type, h.confidence, h.reason)
        for h, d in zip(found, shift, strict=True)
    ]


def _leftover_texts(
    batch: ts.Batch, taken: np.ndarray, low: int, high: int, irregular: np.ndarray
) -> np.ndarray:
    """Texts with a digit run of ``low``-``high`` digits that is not a strict span, or
    irregular ones."""
    s, e = ts.runs(batch.has(ts.DIGIT))
    size = e - s
    pick = (size >= low) & (size <= high)
    s, e = s[pick], e[pick]
    left = ~np.isin((s << 32) | e, taken)
    hit = np.zeros(len(batch.starts), dtype=np.bool_)
    hit[batch.text_of(s[left])] = True
    return np.flatnonzero(hit | irregular)


@cache
def _division_endings() -> np.ndarray:
    """Pair codes of the last two characters of every known division name."""
    pairs = {(ord(n[-2]) << _SHIFT) | ord(n[-1]) for n in divisions().names if len(n) >= 2}
    return np.array(sorted(pairs), dtype=np.int64)


def _division_ends(batch: ts.Batch) -> list[int]:
    """Positions of a character that, with the one before it, ends a known division."""
    codes = batch.codes
    at = np.flatnonzero(np.isin(codes, ta.suffix_end_codes()))
    at = at[at > 0]
    pairs = (codes[at - 1].astype(np.int64) << _SHIFT) | codes[at].astype(np.int64)
    chosen: list[int] = at[np.isin(pairs, _division_endings())].tolist()
    return chosen


def recall_hits(
    batch: ts.Batch,
    strict: dict[str, tuple[np.ndarray, np.ndarray]],
    phones: list[tuple[int, int]],
    strict_addresses: list[tuple[int, int]],
) -> tuple[list[Hit], tn.ArrayHits]:
    """Every recall candidate in ``batch`` (``joined`` coordinates): single hits, and the
    cue-led names as arrays (start, end, confidence, reason)."""

    def taken(*types: str) -> np.ndarray:
        pairs = [strict[t] for t in types if t in strict]
        if not pairs:
            return np.zeros(0, dtype=np.int64)
        starts = np.concatenate([p[0] for p in pairs]).astype(np.int64)
        return np.asarray((starts << 32) | np.concatenate([p[1] for p in pairs]))

    irregular = ts.irregular_texts(batch)
    phone_texts = _leftover_texts(batch, taken("CN_MOBILE", "CN_LANDLINE"), 7, 13, irregular)
    hits = _in_texts(batch, phone_texts, tnum.phones_in_context)
    for hit in hits:
        phones.append((hit.start, hit.end))
    card_texts = _leftover_texts(batch, taken("BANK_CARD", "CN_ID_CARD"), 15, 19, irregular)
    hits += _in_texts(batch, card_texts, tnum.cards_in_context)
    id_texts = _leftover_texts(batch, taken("CN_ID_CARD"), 17, 18, irregular)
    hits += _in_texts(batch, id_texts, tnum.ids_beyond_counties)
    phones.sort()
    names, arrays = tn.name_hits(batch.joined, batch.codes, phones)
    hits += names
    hits += ta.address_hits(batch.joined, _division_ends(batch), strict_addresses)
    return hits, arrays
