"""Person names in running text for redaction: cues on both sides, surnames, phone neighbours.

A name is a surname (``data/surnames.txt``: the 百家姓 with its compound surnames) and one or
two given-name characters, reported only where something says a person is named:

* a cue word before it (``name_context.yaml`` ``before``: 市民, 户名, 联系人, 经办人,
  收件人…), optionally followed by ：, 是, 为 or 叫;
* a cue word after it (``after``: 反映, 来电, 先生, 女士…), read backwards;
* 请 + name + a call-back verb (请张伟回电, 请王女士尽快联系);
* a name-shaped token standing right next to a phone number (张伟 13912345678,
  13912345678（李娜）), set off by punctuation or the start of the text;
* a name-shaped token standing alone (邱娟（身份证…）, 网友“云勇”), after a role noun in 人
  (拍摄人胡磊，), or in 我是…的路淑华，; 联系/找 + a name closed by punctuation; 我姓林.

The cue-led rules (the bulk of the matches) run on arrays of code points
(``forward_array``, ``backward_array``); ``_forward`` and ``_backward`` are the same rules
for one position, used by the rarer rules and by the tests as the reference.

Given-name characters exclude only what never appears in a given name (particles, pronouns,
verbs of speech); words that end a name (先生, 反映, 电话, 已经…) cut it. Whether a name has
one or two given characters is decided by the character after the first: a character that
usually follows a name (已, 在, 说, 来…) ends it.
"""

from __future__ import annotations

import re
from functools import cache
from operator import methodcaller

import numpy as np
import numpy.typing as npt

from citybase.privacy import text_words as tw
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
#: Before 人 these make "people", not a role (有人, 很多人, 别人, 家人, 路人…).
_NOT_ROLES = np.array(
    sorted(ord(c) for c in "有多个别家众路行些的诸每亲世私他她我你它何某成工商军证病客")
)
_PHONE_WORDS = frozenset(("电话", "手机", "号码", "方式", "座机", "热线", "机号", "话是", "话为"))
_SURNAME_CUES = ("免贵姓", "本人姓", "我姓", "他姓", "她姓", "姓")
_BOUNDARY = " \t,，。：:；;、（()）【】[]\"“”'‘’/|\x00"


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    ctx = text_context()
    before = trie_pattern(ctx["before"])
    after = trie_pattern(ctx["after"])
    return (
        re.compile(rf"(?:{before})[:：“\"「 ]{{0,2}}(?:是|为|叫)?(?=([{_CJK}]{{1,4}}))"),
        re.compile(rf"(?:{after})"),
        re.compile(rf"请([{_CJK}]{{1,3}}?)(?:先生|女士)?(?:{_CALLBACK})"),
        re.compile(
            rf"(?:{'|'.join(OPEN_CUES)})(?!方式|方法|电话|号码|人|我|你|他|她)"
            rf"[:： ]?(?=([{_CJK}]{{1,4}}))"
        ),
        re.compile(rf"(?:{'|'.join(_SURNAME_CUES)})(?=([{_CJK}]{{1,2}}))"),
        re.compile(r"[：:]"),
        re.compile(rf"(?:我是|本人是|我就是)[^，。！？；\x00]{{0,40}}?的(?=([{_CJK}]{{2,4}}))"),
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
        if char not in given and (n == 0 and not strong):
            break
        if char not in given and n == 1 and not _closes(text, at + 2):
            break  # an unknown second given character only when the name is closed after it
        if text.startswith(ENDERS, at + n):
            break
        if n == 1 and char in FOLLOWERS:
            break
        n += 1
    return n


def _closes(text: str, at: int) -> bool:
    """Whether a name may end right before ``at``: punctuation, a digit or the end."""
    return at >= len(text) or text[at] in _BOUNDARY or text[at].isdigit()


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


@cache
def _enders() -> re.Pattern[str]:
    return re.compile("|".join(ENDERS))


def _backward(text: str, end: int) -> tuple[int, int] | None:
    """A name ending at ``end`` (a cue word starts there): the longest that fits."""
    last, given = _last_chars(), given_name_chars()
    run = 0
    while run < 4 and end - run > 0 and text[end - run - 1] in last:
        run += 1
    honorific = text.startswith(HONORIFICS, end)
    for length in range(run, 0, -1):
        start = end - length
        s = _surname_at(text, start)
        if not s or not (length - s in (1, 2) or (length == s and honorific)):
            continue
        if any(text[k] not in given for k in range(start + s, end)):
            continue
        if length >= 2 and _enders().search(text, start, end) is not None:
            continue
        if length == s or _left_open(text, start) or text[start - 1] in GIVEN_STOP:
            return start, end
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


Positions = npt.NDArray[np.int64]
_CJK_CODE, GIVEN, STOP, FOLLOW, WEAK, LAST, BOUND, DIGIT, OPENS, SHUTS = (
    1,
    2,
    4,
    8,
    16,
    32,
    64,
    128,
    256,
    512,
)
#: A name standing alone: after one of OPENS (or at the start), before one of SHUTS.
_OPENS = '\x00】“"「『（(、：: '
_SHUTS = '（(”"」』）)：:、 '


@cache
def _table() -> npt.NDArray[np.uint16]:
    """One bit per character class, for the array versions of ``_forward``/``_backward``."""
    table = np.zeros(0x10001, dtype=np.uint16)
    table[0x4E00:0xA000] |= _CJK_CODE

    def mark(bit: int, chars: frozenset[str] | str) -> None:
        table[[ord(c) for c in chars if ord(c) < 0x10000]] |= bit

    mark(GIVEN, given_name_chars())
    mark(STOP, GIVEN_STOP)
    mark(FOLLOW, FOLLOWERS)
    mark(WEAK, WEAK_SURNAMES)
    mark(LAST, _last_chars())
    mark(BOUND, _BOUNDARY)
    mark(DIGIT, "0123456789")
    mark(OPENS, _OPENS)
    mark(SHUTS, _SHUTS)
    return table


class _Codes:
    """Code points of ``joined`` padded at both ends, with their class bits."""

    def __init__(self, codes: npt.NDArray[np.uint32]) -> None:
        self.codes = codes
        self.n = len(codes)
        self.bits = _table()[np.minimum(codes, 0xFFFF)]

    def has(self, at: Positions, bit: int) -> npt.NDArray[np.bool_]:
        inside = (at >= 0) & (at < self.n)
        return np.asarray(inside & ((self.bits[np.clip(at, 0, self.n - 1)] & bit) != 0))

    def pair(self, at: Positions, words: frozenset[str]) -> npt.NDArray[np.bool_]:
        ok = (at >= 0) & (at + 1 < self.n)
        return np.asarray(ok & tw._is_pair(self.codes, np.clip(at, 0, max(self.n - 2, 0)), words))

    def surname(self, at: Positions, room: Positions) -> Positions:
        if self.n == 0:
            return np.zeros(len(at), dtype=np.int64)
        s = tw._surname_length(self.codes, np.clip(at, 0, self.n - 1), room)
        return np.asarray(np.where((at >= 0) & (at < self.n), s, 0))


def forward_array(c: _Codes, p: Positions, *, strong: bool) -> tuple[Positions, Positions]:
    """``_forward`` at many starts at once (the same rules, on class bits)."""
    enders, honorifics = frozenset(ENDERS), frozenset(HONORIFICS)
    s = c.surname(p, np.full(len(p), 4, dtype=np.int64))
    s = np.where((s == 1) & c.has(p, WEAK), 0, s)
    a = p + s
    ok1 = (s > 0) & c.has(a, _CJK_CODE) & ~c.has(a, STOP) & ~c.pair(a, enders)
    if not strong:
        ok1 &= c.has(a, GIVEN)
    b = a + 1
    closed = c.has(b + 1, BOUND | DIGIT) | (b + 1 >= c.n)
    ok2 = ok1 & c.has(b, _CJK_CODE) & (c.has(b, GIVEN) | closed) & ~c.has(b, STOP | FOLLOW)
    ok2 &= ~c.pair(b, enders)
    n = ok1.astype(np.int64) + ok2
    valid = (n > 0) | ((s > 0) & (n == 0) & c.pair(a, honorifics))
    return p[valid], (a + n)[valid]


def backward_array(c: _Codes, e: Positions) -> tuple[Positions, Positions]:
    """``_backward`` at many ends at once: the longest name that fits before each cue."""
    enders, honorifics = frozenset(ENDERS), frozenset(HONORIFICS)
    honorific = c.pair(e, honorifics)
    chosen = np.zeros(len(e), dtype=np.int64)
    run = np.ones(len(e), dtype=np.bool_)
    given_tail = np.ones(len(e), dtype=np.bool_)  # chars [start + 1, e) all given-name chars
    ender_inside = np.zeros(len(e), dtype=np.bool_)
    for length in (1, 2, 3, 4):
        start = e - length
        run &= c.has(start, LAST)
        s = c.surname(start, np.full(len(e), length, dtype=np.int64))
        fits = run & (s > 0)
        n_given = length - s
        fits &= ((n_given == 1) | (n_given == 2)) | ((n_given == 0) & honorific)
        # given chars are [start + s, e): [start + 1, e) checked so far, plus start + 1 when
        # a compound surname covers it (then it is not a given char)
        given_ok = np.where(s == 2, given_tail_after(c, start + 2, e), given_tail)
        fits &= given_ok
        if length >= 2:
            ender_inside |= c.pair(start, enders)
            fits &= ~ender_inside
        left = c.has(start - 1, BOUND | STOP) | (start == 0)
        fits &= (n_given == 0) | left
        chosen = np.where(fits, length, chosen)
        given_tail = given_tail & c.has(start, GIVEN)
    found = chosen > 0
    return (e - chosen)[found], e[found]


def given_tail_after(c: _Codes, start: Positions, end: Positions) -> npt.NDArray[np.bool_]:
    """Whether every character in [start, end) is a given-name character (at most 2)."""
    ok = np.ones(len(start), dtype=np.bool_)
    for k in (0, 1):
        at = start + k
        ok &= (at >= end) | c.has(at, GIVEN)
    return ok


_START0, _START1 = methodcaller("start"), methodcaller("start", 1)
ArrayHits = list[tuple[Positions, Positions, float, str]]


def name_hits(
    joined: str, codes: npt.NDArray[np.uint32], phones: list[tuple[int, int]]
) -> tuple[list[Hit], ArrayHits]:
    """Every person-name candidate in ``joined`` (texts joined with NUL); ``phones`` are the
    phone numbers found in it, whose neighbours may be names. The cue-led ones come as
    arrays (start, end, confidence, reason), the rest as ``Hit``s."""
    before, after, callback, open_cue, surname_cue, label, self_intro = _patterns()
    first, last = _first_chars(), _last_chars()
    c = _Codes(codes)
    out: list[Hit] = []
    at = np.fromiter(map(_START1, before.finditer(joined)), dtype=np.int64)
    arrays: ArrayHits = [(*forward_array(c, at, strong=True), 0.8, "name cue before it")]
    at = np.fromiter(map(_START0, after.finditer(joined)), dtype=np.int64)
    arrays.append((*backward_array(c, at), 0.75, "name cue after it"))
    at = np.flatnonzero(
        c.has(np.arange(-1, c.n - 1, dtype=np.int64), OPENS) | (np.arange(c.n) == 0)
    )
    at = at[c.has(at, _CJK_CODE)]
    starts, ends = forward_array(c, at, strong=False)
    alone = c.has(ends, SHUTS) & (ends - starts >= 2)
    arrays.append((starts[alone], ends[alone], 0.7, "name-shaped token standing alone"))
    # a role noun ending in 人 (拍摄人, 报案人…) then a closed name-shaped token
    at = np.flatnonzero(codes == ord("人")) + 1
    at = at[~np.isin(codes[np.maximum(at - 2, 0)], _NOT_ROLES)]
    at = at + (c.has(at, SHUTS) & ~c.has(at, _CJK_CODE))
    starts, ends = forward_array(c, at, strong=False)
    closed = c.has(ends, BOUND | DIGIT) | (ends >= c.n)
    arrays.append((starts[closed], ends[closed], 0.7, "name after a role noun in 人"))
    for m in self_intro.finditer(joined):
        found = _forward(joined, m.start(1), m.end(1))
        if found and _closes(joined, found[1]):
            out.append(Hit(*found, "PERSON_NAME", 0.7, "我是…的 + name"))
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
    for m in label.finditer(joined):
        if m.start() == 0 or joined[m.start() - 1] not in last:
            continue
        found = _token_before(joined, m.start())
        if found:
            out.append(Hit(*found, "PERSON_NAME", 0.7, "name-shaped label before a colon"))
    for m in callback.finditer(joined):
        found = _forward(joined, m.start(1), m.end(1))
        if found and found[1] == m.end(1):
            out.append(Hit(*found, "PERSON_NAME", 0.75, "请 … 回电"))
    for phone_start, phone_end in phones:
        if joined[phone_start - 2 : phone_start] in _PHONE_WORDS:
            continue  # 联系电话13912345678: no name right before it
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
    return out, arrays


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
