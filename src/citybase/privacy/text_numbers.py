"""Numbers that the strict validators reject but whose shape and place say they are personal.

The strict pass (``text_scan``, ``text_patterns``) reports a number only when it is valid
under its standard. For redaction, recall comes first: a number shaped like personal data
and standing where personal data stands is redacted too, with a lower confidence and the
reason. Column classification keeps using the strict validators only.

* **Phones in a phone context** (电话, 手机, 联系方式, 拨打…): 7 to 13 digits, separators
  allowed. On the numbering plan: confidence 0.9; off it (``12345678901``, an unknown area
  code, a short local number): 0.6, reason ``phone context, off the numbering plan``.
* **Cards in an account context** (卡号, 账号, 银行卡, 转账…): 15 to 19 digits. Luhn-valid:
  0.9 whatever the issuer prefix; failing Luhn after a word that names the number itself
  (卡号, 账号…): 0.6.
* **ID numbers** of 18 characters with a valid MOD 11-2 check character and birth date but an
  area code of a province or prefecture (110000…, 440100…) rather than a county: 0.9. In an
  ID context (身份证…) the same with spaces or dashes inside.

The validators (``luhn_ok``, ``id_parts``, ``phone_plan``) are pure functions with property
tests in ``tests/privacy/test_validators.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np

from citybase.identifiers import id_number_check_digit_array
from citybase.identifiers.areacodes import area_codes, landline_area_codes
from citybase.privacy.policy import PiiType

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_FOLD = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX", " -－—–()（）\u3000")
_EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class Hit:
    """A span in the scanned string with its type, confidence and reason."""

    start: int
    end: int
    type: PiiType
    confidence: float
    reason: str


def digits_of(text: str) -> str:
    """``text`` without separators (spaces, dashes, brackets), full-width digits folded."""
    return text.translate(_FOLD)


def luhn_ok(digits: str) -> bool:
    """The Luhn check over a string of ASCII digits (False for anything else)."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@dataclass(frozen=True, slots=True)
class IdParts:
    """What an 18-character candidate gets right: check character, birth date, area level."""

    checksum: bool
    birth_date: bool
    area: str
    """``county`` (a real county-level code), ``prefecture`` (xxyy00 with a real province),
    ``province`` (xx0000), or ``none``."""


@cache
def _provinces() -> frozenset[str]:
    return frozenset(code[:2] for code in area_codes())


@cache
def _prefectures() -> frozenset[str]:
    return frozenset(code[:4] for code in area_codes())


def id_parts(value: str, *, today: date | None = None) -> IdParts | None:
    """The parts of an 18-character ID number, or None when it is not 17 digits + digit/X."""
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return None
    last = value[17].upper()
    if last not in "0123456789X":
        return None
    checksum = (
        _CHECK[sum((ord(c) - 48) * w for c, w in zip(value[:17], _WEIGHTS, strict=True)) % 11]
        == last
    )
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        birth = _EARLIEST <= born <= (today or date.today())
    except ValueError:
        birth = False
    code = value[:6]
    if code in area_codes():
        area = "county"
    elif code[2:] == "0000" and code[:2] in _provinces():
        area = "province"
    elif code[4:] == "00" and code[:4] in _prefectures():
        area = "prefecture"
    else:
        area = "none"
    return IdParts(checksum=checksum, birth_date=birth, area=area)


def phone_plan(digits: str) -> PiiType | None:
    """``CN_MOBILE`` or ``CN_LANDLINE`` if ``digits`` is on the numbering plan, else None.

    Mobiles: 1[3-9] + 9 digits, after an optional 86/0086. Landlines: a real area code
    (``identifiers/data/landline_area_codes.csv``) and a local number of the right length
    not starting with 0 or 1.
    """
    if not digits.isascii() or not digits.isdigit():
        return None
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
    if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
        return "CN_MOBILE"
    if digits.startswith("0"):
        area_len = 3 if digits[1:2] in ("1", "2") else 4
        area, local = digits[:area_len], digits[area_len:]
        allowed = (8,) if area_len == 3 else (7, 8)
        if area in landline_area_codes() and len(local) in allowed and local[0] not in "01":
            return "CN_LANDLINE"
    return None


_SEP = r"[ \-－—–]"
_D = "[0-9０-９]"
_PHONE_CUES = (
    "联系电话|联系方式|联系号码|电话号码|手机号码|手机号|电话|手机|座机|固话|号码是|致电|拨打|"
    "回电|来电号码|热线|电联|Tel|TEL|tel|电话为|微信同号"
)
#: A phone cue, up to 6 connecting characters (：, 是, 为, a name…), then the number.
PHONE_CONTEXT = re.compile(
    rf"(?:{_PHONE_CUES})[^0-9０-９。；！？\n\x00]{{0,6}}?"
    rf"((?:(?:\+|＋)?86{_SEP}?)?(?:[(（]{_D}{{3,4}}[)）]{_SEP}?)?{_D}(?:{_SEP}?{_D}){{6,12}})"
    rf"(?![0-9０-９])"
)
#: A further number after a phone: 13912345678、0755-88886666 or 13912345678/0755…
PHONE_NEXT = re.compile(
    rf"[、/或和及,，]{{1,2}}(?:{_PHONE_CUES})?[:：]?((?:[(（]{_D}{{3,4}}[)）])?{_D}(?:{_SEP}?{_D}){{6,12}})"
    rf"(?![0-9０-９])"
)
_CARD_CUES = (
    "银行卡号|银行账号|银行帐号|卡号|账号|帐号|账户|帐户|银行卡|信用卡|储蓄卡|借记卡|工资卡|"
    "社保卡|转账|转帐|汇款|打款|收款|付款|退款|开户|尾号"
)
_STRONG_CARD = ("卡号", "账号", "帐号", "账户", "帐户")
CARD_CONTEXT = re.compile(
    rf"({_CARD_CUES})[^0-9０-９。；！？\n\x00]{{0,12}}?"
    rf"((?<![0-9]){_D}(?:{_SEP}?{_D}){{14,18}})(?![0-9０-９])"
)
ID_PLAIN = re.compile(r"[0-9](?<![0-9A-Za-z][0-9])[0-9]{16}[0-9Xx](?![0-9A-Za-z])")
ID_CONTEXT = re.compile(
    rf"(?:身份证|证件号|公民身份号码)[^0-9０-９。；！？\n\x00]{{0,8}}?"
    rf"({_D}(?:{_SEP}?{_D}){{16}}{_SEP}?[0-9０-９XxＸｘ])(?![0-9A-Za-z])"
)


def _phone(start: int, end: int, raw: str, out: list[Hit]) -> None:
    digits = digits_of(raw)
    plan = phone_plan(digits)
    if plan is not None and raw.isascii() and raw.isdigit():
        return  # a plain number on the plan: the strict pass reports it
    if plan is not None:
        out.append(Hit(start, end, plan, 0.9, "phone context, on the numbering plan"))
    elif 7 <= len(digits) <= 13:
        kind: PiiType = (
            "CN_MOBILE" if digits[0] == "1" and 10 <= len(digits) <= 12 else "CN_LANDLINE"
        )
        out.append(Hit(start, end, kind, 0.6, "phone context, off the numbering plan"))


def phones_in_context(joined: str) -> list[Hit]:
    out: list[Hit] = []
    for m in PHONE_CONTEXT.finditer(joined):
        _phone(m.start(1), m.end(1), m.group(1), out)
        pos = m.end(1)
        while (nxt := PHONE_NEXT.match(joined, pos)) is not None:
            _phone(nxt.start(1), nxt.end(1), nxt.group(1), out)
            pos = nxt.end(1)
    return out


def cards_in_context(joined: str) -> list[Hit]:
    out: list[Hit] = []
    for m in CARD_CONTEXT.finditer(joined):
        digits = digits_of(m.group(2))
        if not 15 <= len(digits) <= 19:
            continue
        if luhn_ok(digits):
            out.append(Hit(m.start(2), m.end(2), "BANK_CARD", 0.9, "account context, Luhn"))
        elif m.group(1) in _STRONG_CARD:
            reason = "account number after an account word, fails Luhn"
            out.append(Hit(m.start(2), m.end(2), "BANK_CARD", 0.6, reason))
    return out


def _id_hit(start: int, end: int, raw: str, value: str, out: list[Hit], *, context: bool) -> None:
    parts = id_parts(value)
    if parts is None or not (parts.checksum and parts.birth_date):
        return
    if parts.area in ("province", "prefecture"):
        reason = f"check character and birth date valid, {parts.area}-level area code"
        out.append(Hit(start, end, "CN_ID_CARD", 0.9, reason))
    elif parts.area == "none" and value[:2] in _provinces():
        reason = "check character and birth date valid, area code not in the current table"
        out.append(Hit(start, end, "CN_ID_CARD", 0.85, reason))
    elif context and parts.area == "county" and raw != value:
        out.append(Hit(start, end, "CN_ID_CARD", 0.95, "ID context, separators inside"))


def ids_beyond_counties(joined: str) -> list[Hit]:
    out: list[Hit] = []
    plain = [(m.start(), m.end(), m.group()) for m in ID_PLAIN.finditer(joined)]
    if plain:
        values = np.array([p[2].upper() for p in plain], dtype="<U18")
        checks = id_number_check_digit_array(np.char.ljust(values, 17).astype("<U17"))
        good = checks == np.array([v[17] for v in values.tolist()], dtype="<U1")
        for (start, end, value), ok in zip(plain, good.tolist(), strict=True):
            if ok:
                _id_hit(start, end, value, value, out, context=False)
    for m in ID_CONTEXT.finditer(joined):
        value = digits_of(m.group(1))
        _id_hit(m.start(1), m.end(1), m.group(1), value, out, context=True)
    return out


def number_hits(joined: str) -> list[Hit]:
    """Every context-led number candidate in ``joined`` (texts joined with NUL)."""
    return phones_in_context(joined) + cards_in_context(joined) + ids_beyond_counties(joined)
