"""Regular expressions and validators behind free-text PII detection (see ``detect_text``).

Every pattern is written so that no match can cross the NUL character: the batch API joins
texts with NUL and scans them in one pass per pattern.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt

from citybase.identifiers import PROVINCE_ABBREVIATIONS, is_valid_landline
from citybase.identifiers.luhn import luhn_valid
from citybase.privacy.column_checks import PLATE_RE, luhn_array
from citybase.privacy.dictionaries import DIVISION_SUFFIXES, divisions, text_context

#: Characters that never belong to a place or person name in running text: pronouns,
#: particles, verbs of complaint. They stop names and addresses from swallowing the sentence.
STOP_CHARS = (
    "我你他她它们的了在是住于和与及或对把被从到给向这那不也都就还而但说称要请"
    "反映投诉举报电话身份证号码手机联系"
)
_CJK = (0x4E00, 0x9FFF)


def _cjk_class(excluding: str) -> str:
    """A character class of CJK ideographs minus ``excluding`` (as explicit ranges)."""
    cut = sorted({ord(c) for c in excluding if _CJK[0] <= ord(c) <= _CJK[1]})
    parts, start = [], _CJK[0]
    for code in cut:
        if code > start:
            parts.append(f"\\u{start:04x}-\\u{code - 1:04x}")
        start = code + 1
    if start <= _CJK[1]:
        parts.append(f"\\u{start:04x}-\\u{_CJK[1]:04x}")
    return "[" + "".join(parts) + "]"


cjk_class = _cjk_class
PLACE_CHAR = _cjk_class(STOP_CHARS)
NOT_IN_NAMES = (
    STOP_CHARS
    + "先生女士同志老师师傅阿姨大爷大妈等人夫妇一家部门局区市县镇街"
    + "路号楼室院站所处会委厅公司单位物业时候年月日点分上下里外前后内"
)
NAME_CHAR = _cjk_class(NOT_IN_NAMES)
_NOT_IN_NAMES = frozenset(NOT_IN_NAMES)


def is_name_char(char: str) -> bool:
    """Whether ``char`` may be part of a person's name (the NAME_CHAR class, as a test)."""
    return "\u4e00" <= char <= "\u9fff" and char not in _NOT_IN_NAMES


_UNITS = r"(?:\d{1,5}(?:号楼|号院|号|弄|栋|幢|座|楼))+(?:\d{1,3}单元)?(?:\d{1,5}室)?"

# Look-behinds come after the first character (\d(?<![…]\d) rather than (?<![…])\d): a
# pattern that starts with a character class lets ``re`` skip ahead to that class instead
# of trying the whole pattern at every position. The matches are the same.
ID_CARD = re.compile(r"\d(?<![0-9A-Za-z]\d)(?:\d{16}[0-9Xx]|\d{14})(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9+])(?:(?:\+|00)86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![0-9])")
LANDLINE = re.compile(
    r"(?<![0-9])(?:\(0\d{2,3}\)|0\d{2,3})[- ]?[2-9]\d{6,7}(?:转\d{1,6})?(?![0-9])"
)
BANK_CARD = re.compile(
    r"\d(?<![0-9]\d)(?:\d{15,18}|\d{3}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?![0-9])"
)
USCC = re.compile(
    r"[0-9A-HJ-NP-RTUWXY](?<![0-9A-Z].)[0-9A-HJ-NP-RTUWXY]\d{6}[0-9A-HJ-NP-RTUWXY]{10}(?![0-9A-Z])"
)
PLATE = re.compile(
    rf"[{PROVINCE_ABBREVIATIONS}](?<![A-Z0-9].)[A-HJ-NP-Z][·• ]?[A-HJ-NP-Z0-9]{{4,6}}"
    r"[学挂警领港澳]?(?![A-Z0-9])"
)
EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
IP_ADDRESS = re.compile(r"(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9.])")
GPS = re.compile(r"(?<![0-9.])-?\d{1,3}\.\d{4,}[ ]*[,，、/][ ]*-?\d{1,3}\.\d{4,}(?![0-9.])")
PASSPORT = re.compile(r"[EGDSP](?<![A-Z0-9].)(?:(?<=E)[A-HJ-NP-Z][0-9]{7}|[0-9]{8})(?![A-Z0-9])")
ROAD_WORDS = (
    "大道", "大街", "路", "街", "巷", "弄", "道", "胡同", "里", "小区", "花园", "家园", "公寓",
    "大厦", "新村", "苑", "广场",
)  # fmt: skip
ADDRESS = re.compile(rf"{PLACE_CHAR}{{2,30}}?(?:{'|'.join(ROAD_WORDS)}){_UNITS}")
UNITS = re.compile(_UNITS)
_TOWNSHIP_SUFFIX = "(?:镇|乡|街道)"
RURAL_ADDRESS = re.compile(
    rf"({PLACE_CHAR}{{1,20}}?{_TOWNSHIP_SUFFIX})({PLACE_CHAR}{{1,8}}?(?:村|社区))"
    rf"(?:{PLACE_CHAR}{{1,4}}?组|\d{{1,3}}组)?(?:\d{{1,4}}号)?"
)
#: Anchors for the address patterns: every ADDRESS match has a digit right after the last
#: character of its road/compound word, at most ``ADDRESS_REACH`` characters after the match
#: starts; every RURAL_ADDRESS match has 村 or 社区 at most ``RURAL_REACH`` after its start.
ADDRESS_WORD_ENDS = "道街路巷弄同里区园寓厦村苑场"
ADDRESS_REACH = 32
RURAL_REACH = 30
_DIVISION_TOKEN = re.compile(rf"{PLACE_CHAR}{{1,10}}?(?:{'|'.join(DIVISION_SUFFIXES)})")


def valid_bank_card(text: str) -> bool:
    """15-19 digits, Luhn, and an issuer prefix used in China (UnionPay 62, Visa, MC, JCB…)."""
    digits = text.replace(" ", "").replace("-", "")
    if not 15 <= len(digits) <= 19 or not luhn_valid(digits):
        return False
    return digits[:2] == "62" or digits[0] in "3456"


def valid_bank_card_array(values: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    """``valid_bank_card`` for many candidates at once (vectorised Luhn)."""
    digits = np.char.replace(np.char.replace(values, " ", ""), "-", "")
    lengths = np.char.str_len(digits)
    issuer = (np.char.startswith(digits, "62")) | np.isin(digits.astype("<U1"), list("3456"))
    return np.asarray((lengths >= 15) & (lengths <= 19) & issuer & luhn_array(digits))


def valid_ip(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def valid_gps(text: str) -> bool:
    parts = re.split(r"[ ]*[,，、/][ ]*", text.strip())
    try:
        a, b = (float(p) for p in parts)
    except ValueError:
        return False
    return (abs(a) <= 180 and abs(b) <= 90) or (abs(a) <= 90 and abs(b) <= 180)


_PLATE_SEPARATORS = str.maketrans("", "", "·• ")
#: The GA 36 formats as one pattern (the same ones ``identifiers.is_valid_plate`` tries one by
#: one); a candidate from ``PLATE`` is already upper-case ASCII, so no folding is needed.
_PLATE_SHAPE = re.compile(PLATE_RE)


def valid_plate(text: str) -> bool:
    return _PLATE_SHAPE.match(text.translate(_PLATE_SEPARATORS)) is not None


def valid_landline(text: str) -> bool:
    return is_valid_landline(text)


def valid_rural(township: str) -> bool:
    """A rural address must name a real township (GB/T 2260), however long its prefix."""
    names = divisions().townships
    return any(township[start:] in names for start in range(len(township) - 1))


@lru_cache(maxsize=1 << 16)
def trim_address_body(body: str) -> int:
    """``trim_address_start`` of an address whose numbered part is cut off (it never holds a
    division name), cached: the same street names recur across thousands of complaints."""
    return trim_address_start(body)


def trim_address_start(span: str) -> int:
    """Offset where an address really starts: skip words before the first known division.

    ``…小区门口东城区南门街道五洲巷41号`` starts at 东城区 when 东城区 is a known division;
    ``地址广州市…`` at 广州市 (a division name may end in a character, 州, that is also a
    suffix, so whole known names are looked for, not the first suffix).
    """
    names = divisions().names
    first = _DIVISION_TOKEN.search(span)
    if first is None:
        return 0
    for start in range(first.end() - 1):
        for length in range(2, 11):
            if span[start : start + length] in names:
                return start
    return 0


@cache
def name_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(before-context + name, after-context) patterns.

    The after-context pattern matches only the context word: scanning for a literal
    alternation is several times faster than a look-ahead at every character, and the
    name is then read backwards from the match with ``is_name_char``.
    """
    ctx = text_context()
    before = "|".join(map(re.escape, ctx["before"]))
    after = "|".join(map(re.escape, ctx["after"]))
    return (
        re.compile(rf"(?:{before})[:：]?[ ]?({NAME_CHAR}{{1,4}})"),
        re.compile(rf"(?:{after})"),
    )


HONORIFICS = ("先生", "女士", "同志", "老师", "师傅", "阿姨", "大爷", "大妈")
