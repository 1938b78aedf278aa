"""Addresses that run from a division down to a door, and a postcode, in running text.

An address starts at a known GB/T 2260 division name (``data/divisions.csv``: province,
prefecture, county or township; a province or city written short, 广东 or 深圳, also counts
just before another division) or where the strict pass found a street address. From there it
is read token by token:

* divisions: a known name, or up to six place characters and a division suffix (省, 市, 区,
  县, 旗, 州, 镇, 乡, 街道, 开发区…);
* a road: place characters and a road word (路, 大道, 街, 巷, 胡同, 弄, 道, 里) with its
  section and door number (中山路东段18号); 道, 里 and 弄 need the number;
* a village or community (…村, …社区) with its group (3组);
* a compound or building (…小区, …花园, …大厦, …广场, …中心…), at most ten characters;
* numbered parts: 18号, 3号楼, 2单元, 1203室, 5层, B座, 3-2-501;
* a six-digit postcode after the address (``518057``, ``（邮编：518057）``).

A division is followed by anything; once a numbered part or a building is read, only
numbered parts, buildings and the postcode may follow, so the address stops before the rest
of the sentence. It is reported when it holds more than divisions and a bare road: a door
number, a building, a village or a postcode.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache

from citybase.privacy.dictionaries import divisions
from citybase.privacy.text_numbers import Hit
from citybase.privacy.text_patterns import cjk_class

#: Never inside an address: pronouns, particles, verbs of complaint, spatial words.
_NOT_IN = "的了在是住我你他她它们这那不也就还而但说称要请把被给对反映投诉举报电话手机联系有没因"
_PLACE = cjk_class(_NOT_IN)
_NUM = "[0-9０-９一二三四五六七八九十百零〇两]"
_SUFFIX = (
    "特别行政区|自治区|自治州|自治县|自治旗|经济技术开发区|经济开发区|高新技术产业开发区|"
    "高新区|开发区|工业园区|新区|地区|街道|省|市|区|县|旗|盟|州|镇|乡"
)
DIVISION = re.compile(rf"{_PLACE}{{1,6}}?(?:{_SUFFIX})")
ROAD = re.compile(
    rf"{_PLACE}{{1,10}}?(?:(?:大道|大街|路|街|巷|胡同)(?:[东西南北中][段路]|{_NUM}{{1,3}}段)?"
    rf"(?:{_NUM}{{1,5}}(?:号|弄|巷))?|(?:道|里|弄)(?:{_NUM}{{1,5}}(?:号|弄)))"
)
VILLAGE = re.compile(rf"{_PLACE}{{1,8}}?(?:村民委员会|村委会|村|社区|嘎查)(?:{_NUM}{{1,3}}组)?")
_BUILDINGS = (
    "小区|花园|家园|公寓|大厦|广场|中心|大楼|写字楼|商厦|新村|宿舍|公馆|大院|苑|名苑|"
    "华庭|雅居|国际|城|园区|园|楼"
)
BUILDING = re.compile(rf"(?:{_PLACE}|[A-Za-z0-9]){{1,10}}?(?:{_BUILDINGS})")
UNIT = re.compile(
    rf"(?:{_NUM}{{1,5}}(?:[-－]{_NUM}{{1,5}}){{1,2}}(?:室|号)?|"
    rf"(?:{_NUM}{{1,5}}|[A-Za-z]{{1,2}}\d{{0,2}})(?:号楼|号院|号|栋|幢|座|楼|层|单元|室|户|期|区|排|组|门))"
)
#: One token of each kind, tried in this order: numbered part, road, village, division,
#: building. After a numbered part only numbered parts follow (and a building after a
#: door number, 18号腾讯大厦).
HEAD = re.compile(
    f"(?P<unit>{UNIT.pattern})|(?P<road>{ROAD.pattern})|(?P<village>{VILLAGE.pattern})"
    f"|(?P<division>{DIVISION.pattern})|(?P<building>{BUILDING.pattern})"
)
AFTER_DOOR = re.compile(f"(?P<unit>{UNIT.pattern})|(?P<building>{BUILDING.pattern})")
TAIL = re.compile(f"(?P<unit>{UNIT.pattern})")
POSTCODE = re.compile(
    r"[ ]?(?:[（(](?:邮编|邮政编码)[:：]?\d{6}[）)]|(?:邮编|邮政编码)?[:：]?\d{6})(?![0-9])"
)
_SHORT_SUFFIXES = ("特别行政区", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")


@cache
def _short_names() -> frozenset[str]:
    """Provinces and cities without their suffix (广东, 深圳), for 广东深圳南山区…."""
    out = set()
    for name in divisions().names:
        for suffix in _SHORT_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                out.add(name[: -len(suffix)])
                break
    return frozenset(out)


@cache
def _suffix_ends() -> frozenset[str]:
    """Last characters of the division suffixes (区, 市, 道…) that end known names."""
    ends = {s[-1] for s in _SUFFIX.split("|")}
    return frozenset(c for c in ends if any(n.endswith(c) for n in divisions().names))


@cache
def _lengths_by_ending() -> dict[str, tuple[int, ...]]:
    """For the last two characters of known names, the lengths of those names, longest first."""
    out: dict[str, set[int]] = {}
    for name in divisions().names:
        out.setdefault(name[-2:], set()).add(len(name))
    return {k: tuple(sorted(v, reverse=True)) for k, v in out.items()}


@cache
def _lengths_by_opening() -> dict[str, tuple[int, ...]]:
    """For the first two characters of known names, their lengths, longest first."""
    out: dict[str, set[int]] = {}
    for name in divisions().names:
        out.setdefault(name[:2], set()).add(len(name))
    return {k: tuple(sorted(v, reverse=True)) for k, v in out.items()}


def _known_start(text: str, end: int) -> int:
    """Start of the longest known division name ending at ``end``, or -1."""
    names = divisions().names
    for length in _lengths_by_ending().get(text[end - 2 : end], ()):
        start = end - length
        if start >= 0 and text[start:end] in names:
            return start
    return -1


def _known_at(text: str, pos: int) -> int:
    """Length of the longest known division name starting at ``pos``, or 0."""
    names = divisions().names
    for length in _lengths_by_opening().get(text[pos : pos + 2], ()):
        if text[pos : pos + length] in names:
            return length
    return 0


def _extend_left(text: str, start: int) -> int:
    """Take in a short province or city written before a division (广东 + 深圳市)."""
    short = _short_names()
    moved = True
    while moved:
        moved = False
        for length in (3, 2):
            if start - length >= 0 and text[start - length : start] in short:
                start -= length
                moved = True
                break
    return start


def read_address(
    text: str, start: int, *, stop: int, resume: int | None = None
) -> tuple[int, bool]:
    """Where an address starting at ``start`` ends, and whether it says more than divisions.

    ``resume``: the strict pass already read ``text[start:resume]`` as an address (ending in
    a numbered part or a village), so reading goes on from there."""
    pos, fine, pattern = start, False, HEAD
    if resume is not None:
        last = text[resume - 1]
        pos, fine = resume, True
        pattern = AFTER_DOOR if last == "号" else HEAD if last in "村区" else TAIL
    while pos < stop:
        if pattern is HEAD:
            known = _known_at(text, pos)
            if known and pos + known <= stop:
                pos += known
                continue
        m = pattern.match(text, pos, stop)
        if m is None:
            break
        kind, token = m.lastgroup, m.group()
        pos = m.end()
        if kind == "unit":
            fine, pattern = True, AFTER_DOOR if token[-1] == "号" else TAIL
        elif kind == "road":
            if token[-1] in "号弄巷":
                fine, pattern = True, AFTER_DOOR
        elif kind in ("village", "building"):
            fine = True
            if kind == "building":
                pattern = TAIL
    m = POSTCODE.match(text, pos, stop)
    if m is not None and pos > start:
        return m.end(), True
    return pos, fine


@cache
def suffix_end_codes() -> tuple[int, ...]:
    """Code points that end a known division name (省, 市, 区, 道…): where to look back."""
    return tuple(sorted(ord(c) for c in _suffix_ends()))


_LONE_POSTCODE = re.compile(r"(?:邮编|邮政编码)[:：]?[ ]?(\d{6})(?![0-9])")


def address_hits(joined: str, ends: list[int], strict: list[tuple[int, int]]) -> list[Hit]:
    """Addresses beginning at a known division name ending before one of ``ends`` (positions
    of a ``suffix_end_codes`` character), and the strict pass's addresses ``strict`` (start,
    end) read on to their building and postcode."""
    resume = dict(strict)
    out: list[Hit] = []
    reach = -1

    def read(start: int) -> None:
        nonlocal reach
        stop = joined.find("\x00", start)
        stop = len(joined) if stop < 0 else stop
        end, fine = read_address(joined, start, stop=stop, resume=resume.get(start))
        if fine and end - start >= 4:
            out.append(Hit(start, end, "ADDRESS", 0.85, "division, road and door or building"))
            reach = end

    spans = sorted(strict)
    candidates = set(resume)
    for i in ends:  # an anchor inside a strict address starts nothing new
        k = bisect_right(spans, (i, len(joined))) - 1
        if k >= 0 and spans[k][0] <= i < spans[k][1]:
            continue
        start = _known_start(joined, i + 1)
        if start >= 0:
            candidates.add(_extend_left(joined, start))
    for start in sorted(candidates):
        if start >= reach:
            read(start)
    for m in _LONE_POSTCODE.finditer(joined):
        out.append(Hit(m.start(1), m.end(1), "ADDRESS", 0.6, "postcode"))
    return out
