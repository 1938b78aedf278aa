"""The batch scanner (``text_scan``) against the straightforward detector, span for span.

The fast path replaces a dozen regex passes by NumPy runs over code points, anchored address
searches and overlap resolution only where spans overlap; any drift from the plain
pattern-by-pattern detector (``reference_text``) would change what gets redacted.
"""

from __future__ import annotations

import gc
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.identifiers import (
    generate_id_number,
    generate_plate,
    generate_uscc,
    is_valid_plate,
    luhn_check_digit,
)
from citybase.privacy import text_patterns as tp
from citybase.privacy import text_scan as ts
from citybase.privacy.detect_text import find_spans, find_spans_batch
from tests.privacy.reference_text import reference_spans

_PIECES = [
    "市民", "王小明", "欧阳娜娜", "反映", "先生", "女士", "来电", "电话", "称", "我是", "联系人：",
    "13912345678", "139-1234-5678", "139 1234 5678", "+86 13912345678", "+8613912345678",
    "008613912345678", "0086 139 1234 5678", "13912345678901", "321203199602162370",
    "32120319960216237x", "321203199602162371", "320106800309123", "6228480402564890018",
    "6228 4804 0256 4890 018", "6222021234567890124", "91320106MA1X2Y3Z4K", "N2320106MA1234567X",
    "025-83123456", "(025)83123456", "02583123456", "025-83123456转801", "0101234567",
    "示范市", "东城区", "南门街道", "五洲巷", "41号", "7栋", "1单元", "302室", "路", "号", "12",
    "大道", "小区", "新村", "花园", "江苏省南京市江宁区", "淳化街道", "青龙村", "3组", "社区",
    "苏A", "D1234", "苏AD43445", "京A·12345", "粤Z1234港", "E12345678", "EA1234567", "G12345678",
    "wang.li@example.com", "@", "a.b", "192.168.10.1", "118.848391,31.998979", "999.1.1.1",
    "１３９１２３４５６７８", "٣", " ", "-", "，", "。", "x", "X", "A", "\x00", "的", "住在",
]  # fmt: skip


def _assert_same(texts: list[str]) -> None:
    assert find_spans_batch(texts, strict=True) == reference_spans(texts)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join), max_size=8))
def test_batch_matches_the_plain_detector_on_complaint_pieces(texts: list[str]) -> None:
    _assert_same(texts)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.sampled_from(_PIECES), st.text(alphabet="0123456789 -+()Xx转号路村", max_size=20)
            ),
            max_size=12,
        ).map("".join),
        max_size=6,
    )
)
def test_batch_matches_the_plain_detector_on_digit_soup(texts: list[str]) -> None:
    _assert_same(texts)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6))
def test_batch_matches_the_plain_detector_on_any_text(texts: list[str]) -> None:
    _assert_same(texts)


def _complaints(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        number = generate_id_number(rng, "320106", date(1950 + int(rng.integers(0, 60)), 5, 17))
        plate = generate_plate(rng, "苏", "A", new_energy=bool(rng.integers(0, 2)))
        body = str(rng.integers(10**14, 10**15))
        card = "622848" + body[:12]
        card += luhn_check_digit(card)
        pieces = [
            f"市民王{'小明'[: int(rng.integers(1, 3))]}来电反映，",
            "家住示范市东城区南门街道五洲巷41号7栋1单元302室，" if rng.random() < 0.5 else "",
            f"车牌{plate}，" if rng.random() < 0.5 else "",
            f"身份证{number}，" if rng.random() < 0.5 else "",
            f"卡号{card}，" if rng.random() < 0.3 else "",
            f"信用代码{generate_uscc(rng, '320106', kind=['91', 'N2'][int(rng.integers(0, 2))])}，"
            if rng.random() < 0.3
            else "",
            f"工单号{rng.integers(10**17, 10**18)}，" if rng.random() < 0.3 else "",
            f"联系电话1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}。",
        ]
        out.append("".join(pieces))
    return out


def test_batch_matches_the_plain_detector_on_generated_complaints() -> None:
    texts = _complaints(3000, seed=5)
    found = find_spans_batch(texts, strict=True)
    assert found == reference_spans(texts)
    kinds = {s.type for spans in found for s in spans}
    assert {"PERSON_NAME", "ADDRESS", "CN_PLATE", "CN_ID_CARD", "CN_MOBILE"} <= kinds
    assert {"BANK_CARD", "CN_USCC"} <= kinds


@pytest.mark.parametrize(
    "text",
    ["电话 139-1234-5678 和 13912345678", "手机13９12345678", "卡 6228 4804 0256 4890 018"],
)
def test_irregular_texts_keep_the_full_patterns(text: str) -> None:
    """A separator, '+' or a full-width digit sends the text to the full regex path."""
    batch = ts.make_batch([text, "联系电话13912345678"])
    assert ts.irregular_texts(batch).tolist() == [True, False]
    assert find_spans(text, strict=True) == reference_spans([text])[0]
    assert [s.type for s in find_spans(text)]


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet="苏京粤使ABCDEFGHJKLMNOPQRSTUVWXYZ0123456789学挂警领港澳·• ",
        min_size=6,
        max_size=10,
    )
)
def test_plate_shape_equals_the_identifier_validator(text: str) -> None:
    stripped = text.translate(str.maketrans("", "", "·• "))
    assert tp.valid_plate(text) == is_valid_plate(stripped)


def test_strings_and_runs_read_the_code_points() -> None:
    batch = ts.make_batch(["ab123", "", "x4567y"])
    starts, ends = ts.runs((batch.codes >= ord("0")) & (batch.codes <= ord("9")))
    assert ts.strings(batch.codes, starts, ends).tolist() == ["123", "4567"]
    assert batch.text_of(starts).tolist() == [0, 2]
    assert batch.starts.tolist() == [0, 6, 7] and batch.ends.tolist() == [5, 6, 13]


@pytest.mark.parametrize(
    "text",
    [
        "家住长沙路5号楼花园3号楼2单元",  # the first address's units run into the next run
        "家住示大道1号",  # too short for 大道 as the road word: 道 alone ends it
        "住在文昌大道十二号，市大道12号",
        "江苏省南京市江宁区淳化街道青龙村3组和东山街道社区5号",
        "小区门口东城区南门街道五洲巷41号7栋1单元302室对面",
        "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三路1号",
        "村村村村村村村村村村村村镇村村村",
    ],
)
def test_addresses_match_the_plain_detector(text: str) -> None:
    _assert_same([text, text + text])
    _assert_same(["前缀\x00" + text])


def test_the_garbage_collector_is_left_as_it_was() -> None:
    """The batch pauses cyclic GC for speed; the caller's setting must survive, errors too."""
    assert gc.isenabled()
    find_spans_batch(["市民王小明来电反映"])
    assert gc.isenabled()
    gc.disable()
    try:
        find_spans_batch(["市民王小明来电反映"])
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(TypeError):
        find_spans_batch([None])  # type: ignore[list-item]
    assert gc.isenabled()
