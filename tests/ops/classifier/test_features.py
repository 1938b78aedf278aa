"""Features and the shipped history's shape."""

from __future__ import annotations

import random
from collections import Counter

from citybase.ops.classifier.features import _SPLIT, Tokenizer, grams, normalise
from citybase.ops.classifier.history import compose, expand, shipped_cases
from citybase.ops.classifier.taxonomy import default_categories_path, load_categories
from citybase.settings import Settings


def test_segmentation_is_jiebas_route() -> None:
    tok = Tokenizer(["泥头车", "渣土车"])
    reference = tok.jieba()
    texts = [c.text for c in random.Random(3).sample(shipped_cases(), 400)]
    texts += ["泥头车半夜拉土撒了一路", "wifi密码123忘了", "楼下KTV吵到3点"]
    for text in texts:
        for seg in _SPLIT.split(normalise(text)):
            if seg:
                assert tok.words(seg) == reference.lcut(seg, HMM=False), seg


def test_grams_normalise_digits_width_and_case() -> None:
    tok = Tokenizer()
    a = grams("ＫＴＶ吵到凌晨3点", tok)
    b = grams("ktv吵到凌晨12点", tok)
    assert a == b
    assert "w:ktv" in a and "凌晨" in a and "吵到凌" in a


def test_shipped_history_covers_every_category_in_every_register() -> None:
    settings = Settings()
    codes = {c.code for c in load_categories(default_categories_path(settings))}
    cases = shipped_cases()
    per = Counter(c.category for c in cases)
    assert set(per) == codes
    assert min(per.values()) >= 300
    registers = Counter((c.category, c.register) for c in cases)
    assert all(registers[(code, r)] >= 10 for code in codes for r in ("hotline", "app", "grid"))
    # varied: nearly every text is distinct
    assert len({c.text for c in cases}) >= 0.97 * len(cases)
    assert shipped_cases() == cases  # deterministic


def test_alternatives_and_slots_expand() -> None:
    rng = random.Random(1)
    assert expand("(a|b(c|d))x", rng) in {"ax", "bcx", "bdx"}
    frames = {
        "registers": {"r": ["{place}{core}"]},
        "slots": {"place": ["(东|西)门"]},
    }
    out = compose({"X": ["灯(坏了|不亮)"]}, frames, per_category=20)
    assert {c.text for c in out} <= {"东门灯坏了", "西门灯坏了", "东门灯不亮", "西门灯不亮"}
    assert all(c.category == "X" and c.core == 0 for c in out)
