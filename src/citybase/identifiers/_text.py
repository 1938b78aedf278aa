"""Input clean-up shared by the validators.

Identifiers arrive from forms, spreadsheets and OCR with full-width characters (１２３Ｘ),
ideographic spaces and grouping separators. NFKC folds the full-width forms to ASCII, so
every validator sees the same canonical text and normalisation stays idempotent.
"""

from __future__ import annotations

import unicodedata

from citybase.errors import ValidationFailed


def require_text(value: object, field: str) -> str:
    """The value as a string, or a ValidationFailed that names the field (never TypeError)."""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field}: expected text, got {type(value).__name__}", field=field)
    return value


def fold(value: str, remove: str = "", *, upper: bool = False) -> str:
    """NFKC-fold, drop all whitespace and every character in ``remove``, optionally upper-case.

    Repeated until nothing changes: dropping a space or upper-casing can bring a base letter
    next to a combining mark that NFKC then composes, and normalisers must be idempotent.
    """
    for _ in range(8):
        folded = unicodedata.normalize("NFKC", value)
        folded = "".join(ch for ch in folded if not ch.isspace() and ch not in remove)
        if upper:
            folded = folded.upper()
        if folded == value:
            break
        value = folded
    return value


def is_ascii_digits(value: str) -> bool:
    """True for 0-9 only (``str.isdigit`` also accepts superscripts and other scripts)."""
    return value.isascii() and value.isdigit()


def shown(value: str, limit: int = 24) -> str:
    """The value quoted for an error message, shortened so errors never echo a whole file."""
    return repr(value if len(value) <= limit else value[:limit] + "…")
