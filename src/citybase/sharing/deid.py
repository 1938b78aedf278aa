"""How a grant's de-identification is chosen from the dataset's column classification.

Decided once, when the grant is made, and stored with it (a later re-classification does
not silently widen a grant; the owner revokes and grants again). By the column's PII type:

- identifiers that single out a person and join across datasets — ID card, bank card,
  passport — are **pseudonymised** with the city's pseudonym key (``pseudonym_key_id``):
  the same person gets the same token in every dataset and every grant, so consumers can
  still join, but never see the number;
- precise location (GPS) is **generalised** to a 0.01° cell (about 1 km);
- every other personal type (name, mobile, landline, address, plate, e-mail, IP) is
  **masked**, keeping only the characters that help a human check a record;
- columns the owner approved "in clear" (each asked for with a reason) pass unchanged;
- organisation codes (统一社会信用代码) and columns without PII pass unchanged.
A column whose type the operator cannot handle (e.g. a number holding a name) is
suppressed rather than shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from citybase.privacy.policy import GradingPolicy

PSEUDONYMISED = frozenset({"CN_ID_CARD", "BANK_CARD", "PASSPORT"})
NOT_PERSONAL = frozenset({"CN_USCC"})
#: Masks by PII type: (keep_first, keep_last).
MASKS: dict[str, tuple[int, int]] = {
    "PERSON_NAME": (1, 0),
    "CN_MOBILE": (3, 4),
    "CN_LANDLINE": (4, 2),
    "ADDRESS": (6, 0),
    "CN_PLATE": (2, 0),
    "EMAIL": (1, 0),
    "IP_ADDRESS": (0, 0),
}
GPS_CELL_DEGREES = 0.01
_MASKABLE = frozenset({"string", "integer", "date"})


@dataclass(frozen=True)
class ColumnClass:
    """What the grant needs to know of a column: name, logical type, PII type, grade."""

    name: str
    type: str
    pii_type: str | None
    grade: str | None = None


def operators_for(column: ColumnClass) -> list[dict[str, Any]]:
    """The de-identification operators for one column (empty: shown as is)."""
    pii = column.pii_type
    if pii is None or pii in NOT_PERSONAL:
        return []
    if pii in PSEUDONYMISED and column.type in _MASKABLE:
        return [{"op": "pseudonymise", "length": 16}]
    if pii == "GPS_COORDINATE" and column.type == "float":
        return [{"op": "generalise", "kind": "coordinate", "cell": GPS_CELL_DEGREES}]
    if column.type in _MASKABLE:
        first, last = MASKS.get(pii, (0, 0))
        return [{"op": "mask", "keep_first": first, "keep_last": last}]
    return [{"op": "suppress"}]


def grant_policy(columns: Iterable[ColumnClass], *, clear: Iterable[str]) -> dict[str, Any]:
    """The grant's policy as plain data (``DeidPolicy.parse``-able): operators per column."""
    in_clear = set(clear)
    out: dict[str, Any] = {}
    for column in columns:
        if column.name in in_clear:
            continue
        ops = operators_for(column)
        if ops:
            out[column.name] = ops
    return {"columns": out}


def sensitive_columns(columns: Iterable[ColumnClass], grading: GradingPolicy) -> list[str]:
    """Columns holding sensitive personal information (敏感个人信息) under the city's policy."""
    return [
        c.name
        for c in columns
        if c.pii_type in grading.rules and grading.is_sensitive(c.pii_type)  # type: ignore[arg-type]
    ]


def personal_columns(columns: Iterable[ColumnClass]) -> list[str]:
    """Columns that are personal (a clear-value request makes sense only for these)."""
    return [c.name for c in columns if c.pii_type is not None and c.pii_type not in NOT_PERSONAL]
