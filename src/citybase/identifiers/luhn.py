"""The Luhn (mod 10) check used by bank card numbers (银行卡号) and many account numbers.

Card numbers are usually written in groups, so spaces and hyphens are ignored.
"""

from __future__ import annotations

from citybase.errors import ValidationFailed
from citybase.identifiers._text import fold, is_ascii_digits, shown


def _luhn_sum(digits: str, *, double_first: bool) -> int:
    """Luhn sum over digits read right to left; ``double_first`` doubles the rightmost."""
    total = 0
    double = double_first
    for ch in reversed(digits):
        d = ord(ch) - 48
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
        double = not double
    return total


def _digits(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"{field}: expected text, got {type(value).__name__}", field=field)
    digits = fold(value, remove="-")
    if not digits or not is_ascii_digits(digits):
        raise ValidationFailed(
            f"{field}: only digits, spaces and hyphens are allowed, got {shown(value)}",
            field=field,
        )
    return digits


def luhn_check_digit(payload: str, *, field: str = "number") -> str:
    """The digit to append to ``payload`` so the whole number passes the Luhn check."""
    digits = _digits(payload, field)
    return str((10 - _luhn_sum(digits, double_first=True) % 10) % 10)


def luhn_valid(number: object) -> bool:
    """True when the number (check digit last) passes the Luhn check; False for non-digits."""
    try:
        digits = _digits(number, "number")
    except ValidationFailed:
        return False
    return len(digits) >= 2 and _luhn_sum(digits, double_first=False) % 10 == 0
