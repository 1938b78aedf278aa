"""Person names in running text for redaction: cues on both sides, surnames, phone neighbours.

A name is a surname (``data/surnames.txt``: the 百家姓 with its compound surnames) and one or
two given-name characters, reported only where something says a person is named:

* a cue word before it (``name_context.yaml`` ``before``: 市民, 户名, 联系人, 经办人,
  收件人…), optionally followed by ：, 是, 为 or 叫;
* a cue word after it (``after``: 反映, 来电, 先生, 女士…), read backwards;
* 请 + name + a call-back verb (请张伟回电, 请王女士尽快联系);
* a name-shaped token standing right next to a phone number (张伟 13912345678,
  13912345678（李娜）), set off by punctuation or the start of the text.

Given-name characters exclude only what never appears in a given name (particles, pronouns,
verbs of speech); words that end a name (先生, 反映, 电话, 已经…) cut it. Whether a name has
one or two given characters is decided by the character after the first: a character that
usually follows a name (已, 在, 说, 来…) ends it.
"""

from __future__ import annotations

import re
from functools import cache

from citybase.privacy.dictionaries import given_name_chars, surnames, text_context, trie_pattern
from citybase.privacy.text_numbers import Hit

#: Never in a given name: particles, pronouns, verbs of speech, punctuation-like characters.
GIVEN_STOP = frozenset("的了在是把被从给这那不也都就还而但说称要请我你他她它们住对及或与到向曾")
#: A character after the first given character that usually begins the next word.
FOLLOWERS = frozenset(
    "已在说来反投举电手家住等和与及的是于将被要想称表先女同老师称今昨前后因对把从向给找"
    "也都就还又才再曾一打拨致回接联报摄讲时多答"
)
#: Surnames that, right after a cue, are nearly always a function word (和, 向, 同…).
WEAK_SURNAMES = frozenset("和与同向从能于及将把被对给让")
#: Words that end a name wherever they start.
ENDERS = (
    "先生", "女士", "同志", "老师", "师傅", "阿姨", "大爷", "大妈", "反映", "投诉", "举报",
    "来电", "电话", "手机", "联系", "身份", "已经", "表示", "家住", "住在", "小区", "物业",
    "公司", "称其", "说道", "一家", "夫妇", "等人", "本人",
)  # fmt: skip
HONORIFICS = ("先生", "女士", "同志", "老师", "师傅", "阿姨", "大爷", "大妈", "小姐", "老板")
_CJK = "\u4e00-\u9fff"
_CALLBACK = "回电|回复|回个电话|联系|致电|接听|来电|尽快|及时|速|务必|本人"
#: Cues before a name that are also ordinary verbs (请联系相关部门): the name must end at
#: punctuation, a digit or an honorific.
OPEN_CUES = ("请联系", "联系", "找", "转告", "通知", "交给", "告诉")
_SURNAME_CUES = ("免贵姓", "本人姓", "我姓", "他姓", "她姓", "姓")
_BOUNDARY = " \t,，。：:；;、（()）【】[]\"“”'‘’/|\x00"


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    ctx = text_context()
    before = trie_pattern(ctx["before"])
    after = trie_pattern(ctx["after"])
    return (
        re.compile(rf"(?:{before})[:： ]{{0,2}}(?:是|为|叫)?(?=([{_CJK}]{{1,4}}))"),
        re.compile(rf"(?:{after})"),
        re.compile(rf"请([{_CJK}]{{1,3}}?)(?:先生|女士)?(?:{_CALLBACK})"),
        re.compile(
            rf"(?:{'|'.join(OPEN_CUES)})(?!方式|方法|电话|号码|人|我|你|他|她)"
            rf"[:： ]?(?=([{_CJK}]{{1,4}}))"
        ),
        re.compile(rf"(?:{'|'.join(_SURNAME_CUES)})(?=([{_CJK}]{{1,2}}))"),
        re.compile(r"[：:]"),
    )


def _surname_at(text: str, i: int) -> int:
    names = surnames()
    if text[i : i + 2] in names.compound:
        return 2
    return 1 if text[i : i + 1] in names.single else 0


def _given(text: str, at: int, limit: int, *, strong: bool = False) -> int:
    """How many given-name characters follow ``at`` (0, 1 or 2), stopping at ``limit``.

    The second must be a known given-name character (``data/given_name_chars.txt``); so
    must the first unless ``strong`` (right after a cue word that names a person)."""
    n = 0
    given = given_name_chars()
    while n < 2 and at + n < limit:
        char = text[at + n]
        if not "\u4e00" <= char <= "\u9fff" or char in GIVEN_STOP:
            break
        if char not in given and (n == 1 or not strong):
            break
        if text.startswith(ENDERS, at + n):
            break
        if n == 1 and char in FOLLOWERS:
            break
        n += 1
    return n


def _forward(text: str, start: int, limit: int, *, strong: bool = False) -> tuple[int, int] | None:
    """A name starting at ``start``: surname + given characters, or surname + honorific."""
    s = _surname_at(text, start)
    if s == 0 or (s == 1 and text[start] in WEAK_SURNAMES):
        return None
    g = _given(text, start + s, limit, strong=strong)
    if g:
        return start, start + s + g
    if text.startswith(HONORIFICS, start + s):
        return start, start + s
    return None


def _backward(text: str, end: int) -> tuple[int, int] | None:
    """A name ending at ``end`` (a cue word starts there): the longest that fits."""
    given = given_name_chars()
    if end > 0 and text[end - 1] not in GIVEN_STOP and "\u4e00" <= text[end - 1] <= "\u9fff":
        best: tuple[int, int] | None = None
        for length in (1, 2, 3, 4):
            start = end - length
            if start < 0:
                break
            char = text[start]
            if not "\u4e00" <= char <= "\u9fff" or char in GIVEN_STOP:
                break
            s = _surname_at(text, start)
            n_given = length - s
            if s and (n_given in (1, 2) or (n_given == 0 and text.startswith(HONORIFICS, end))):
                body = text[start:end]
                if (
                    all(
                        text[k] in given and text[k] not in GIVEN_STOP
                        for k in range(start + s, end)
                    )
                    and not any(word in body for word in ENDERS)
                    and (_left_open(text, start) or text[start - 1] in GIVEN_STOP or n_given == 0)
                ):
                    best = (start, end)
        return best
    return None


def _left_open(text: str, start: int) -> bool:
    """Whether a token starting at ``start`` is set off on its left (punctuation, start)."""
    return start == 0 or text[start - 1] in _BOUNDARY


def _right_open(text: str, end: int) -> bool:
    return end >= len(text) or text[end] in _BOUNDARY or text[end].isdigit()


@cache
def _first_chars() -> frozenset[str]:
    """Characters a name can start with (single surnames, first of compound ones)."""
    names = surnames()
    return names.single | frozenset(w[0] for w in names.compound)


@cache
def _last_chars() -> frozenset[str]:
    """Characters a name can end with (a given-name character or a surname)."""
    names = surnames()
    chars = given_name_chars() | names.single | frozenset(w[1] for w in names.compound)
    return frozenset(chars - GIVEN_STOP)


def name_hits(joined: str, phones: list[tuple[int, int]]) -> list[Hit]:
    """Every person-name candidate in ``joined`` (texts joined with NUL); ``phones`` are the
    phone numbers found in it, whose neighbours may be names."""
    before, after, callback, open_cue, surname_cue, label = _patterns()
    first, last = _first_chars(), _last_chars()
    out: list[Hit] = []
    for m in open_cue.finditer(joined):
        if joined[m.start(1)] not in first:
            continue
        found = _forward(joined, m.start(1), m.end(1))
        if found and (_right_open(joined, found[1]) or joined.startswith(HONORIFICS, found[1])):
            out.append(Hit(*found, "PERSON_NAME", 0.7, "name after a verb of contact"))
    for m in surname_cue.finditer(joined):
        s = _surname_at(joined, m.start(1))
        if s and _right_open(joined, m.start(1) + s):
            out.append(Hit(m.start(1), m.start(1) + s, "PERSON_NAME", 0.7, "surname after 姓"))
    for m in before.finditer(joined):
        if joined[m.start(1)] not in first:
            continue
        found = _forward(joined, m.start(1), m.end(1), strong=True)
        if found:
            out.append(Hit(*found, "PERSON_NAME", 0.8, "name cue before it"))
    for m in label.finditer(joined):
        if m.start() == 0 or joined[m.start() - 1] not in last:
            continue
        found = _token_before(joined, m.start())
        if found:
            out.append(Hit(*found, "PERSON_NAME", 0.7, "name-shaped label before a colon"))
    for m in after.finditer(joined):
        if m.start() == 0 or joined[m.start() - 1] not in last:
            continue
        found = _backward(joined, m.start())
        if found:
            out.append(Hit(*found, "PERSON_NAME", 0.75, "name cue after it"))
    for m in callback.finditer(joined):
        found = _forward(joined, m.start(1), m.end(1))
        if found and found[1] == m.end(1):
            out.append(Hit(*found, "PERSON_NAME", 0.75, "请 … 回电"))
    for phone_start, phone_end in phones:
        end = phone_start
        while end > 0 and joined[end - 1] in " :：,，":
            end -= 1
        found = _token_before(joined, end) if end > phone_start - 2 else None
        if found:
            out.append(Hit(*found, "PERSON_NAME", 0.7, "name next to a phone number"))
        start = phone_end + (phone_end < len(joined) and joined[phone_end] in " （(")
        found = _forward(joined, start, min(start + 4, len(joined)))
        if found and _right_open(joined, found[1]):
            out.append(Hit(*found, "PERSON_NAME", 0.7, "name next to a phone number"))
    return out


def _token_before(text: str, end: int) -> tuple[int, int] | None:
    """A name of 2-4 characters ending at ``end`` and set off on its left."""
    for length in (2, 3, 4):
        start = end - length
        if start < 0:
            break
        found = _forward(text, start, end)
        if found and found[1] == end and _left_open(text, start):
            return found
    return None
