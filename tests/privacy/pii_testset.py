"""A second free-text PII test set, built from sources other than the project's generators.

* ``handwritten()``: ``data/pii_handwritten.txt``, complaint texts written by hand (hotline,
  app, letter phrasing) with gold spans, covering each class of miss of issue 10 §3 and
  negatives (order numbers, dates, amounts, place names that are not addresses).
* ``from_faker(n)``: Faker's zh_CN providers (names, addresses with postcode, mobiles, ID
  numbers, e-mail) inside sentence frames written for this set; bank cards, landlines and
  plates are built here (62/95 issuer prefixes with a Luhn digit, real area codes).

``score`` gives per-type recall and precision (exact span and type) and the gold values
still readable in the redacted text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from citybase.identifiers import id_number_check_digit, luhn_check_digit
from citybase.privacy.detect_text import find_spans_batch, redact

CODES = {
    "N": "PERSON_NAME", "A": "ADDRESS", "M": "CN_MOBILE", "L": "CN_LANDLINE",
    "I": "CN_ID_CARD", "B": "BANK_CARD", "E": "EMAIL", "P": "CN_PLATE",
}  # fmt: skip
_MARK = re.compile(r"\[\[([A-Z]):(.+?)\]\]")


@dataclass(frozen=True)
class Case:
    text: str
    gold: tuple[tuple[int, int, str], ...]


def _fill(code: str, value: str) -> str:
    if not value.endswith("*"):
        return value
    body = value[:-1]
    digits = "".join(c for c in body if c.isdigit())
    check = id_number_check_digit(digits) if code == "I" else luhn_check_digit(digits)
    return body + check


def parse(line: str) -> Case:
    text, gold, cursor = "", [], 0
    for m in _MARK.finditer(line):
        text += line[cursor : m.start()]
        value = _fill(m.group(1), m.group(2))
        gold.append((len(text), len(text) + len(value), CODES[m.group(1)]))
        text += value
        cursor = m.end()
    return Case(text + line[cursor:], tuple(gold))


def handwritten() -> list[Case]:
    path = Path(__file__).parent / "data" / "pii_handwritten.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [parse(ln) for ln in lines if ln.strip() and not ln.startswith("#")]


_FRAMES = [
    "您好，我是{N}，家住{A}，最近楼下烧烤店油烟很大，我的电话是{M}。",
    "【APP留言】{N}：{A}门口的井盖缺失，很危险，联系方式{M}",
    "尊敬的领导：本人{N}，身份证号{I}，住{A}，反映小区物业长期不作为。",
    "来电人{N}称，其银行卡{B}被扣了两次物业费，请核实。回电{M}",
    "热线工单：联系人{N}，电话{L}，诉求：{A}附近夜间施工扰民。",
    "收件人：{N} {M} 地址：{A}",
    "投诉人{N}反映，车牌{P}的货车每天凌晨在{A}卸货，噪音扰民。",
    "请{N}回电，电话{M}，邮箱{E}。",
    "经办人{N}答复称已处理，但{A}的路灯仍然不亮。",
    "户名{N}，账号{B}，申请退还多缴的水费。",
]
#: Frames written after the detector was tuned, measured once and not tuned on (hold-out).
HOLDOUT_FRAMES = [
    "市长信箱来信：我叫{N}，现居{A}，小区电梯三个月没有年检，望回复，手机{M}。",
    "12345工单｜诉求人：{N}｜联系电话：{L}｜事发地址：{A}｜内容：夜间渣土车噪音。",
    "你好，麻烦转告{N}，她的快递寄到{A}了，有事打{M}。",
    "{N}（身份证{I}）反映其在{A}的房屋被违规出租。",
    "退费申请：收款人{N}，银行卡号{B}，联系邮箱{E}，电话{M}。",
    "网友“{N}”留言：{A}附近车牌{P}的车辆经常乱停。",
]
#: Frames written last, measured once before any change (names 0.498), then two structural
#: classes fixed (a role noun in 人, 我是…的 + name); in-sample since.
FRESH_FRAMES = [
    "【随手拍】在{A}看到有人倾倒垃圾，拍摄人{N}，电话{M}",
    "反映人：{N}，性别女，身份证号码：{I}，诉求：{A}的违建至今未拆。",
    "您好，我是住在{A}的{N}，家里座机{L}一直打不出去。",
    "银行转账凭证：户名 {N} 卡号 {B}，请财政局核对补贴发放。",
]
_LANDLINE_AREAS = ["010", "021", "022", "023", "020", "025", "0755", "0571", "0531", "0898"]


def from_faker(n: int, seed: int = 20261208, frames: list[str] | None = None) -> list[Case]:
    import random

    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)

    def value(code: str) -> str:
        if code == "N":
            return str(fake.name())
        if code == "A":
            return str(fake.address()).replace("\n", " ")
        if code == "M":
            return str(fake.phone_number())
        if code == "I":
            return str(fake.ssn())
        if code == "E":
            return str(fake.email())
        if code == "B":
            prefix = rng.choice(["622202", "621700", "955880", "623052", "628888"])
            body = prefix + "".join(rng.choice("0123456789") for _ in range(rng.choice([9, 12])))
            return body + luhn_check_digit(body)
        if code == "L":
            area = rng.choice(_LANDLINE_AREAS)
            local = rng.choice("2345678") + "".join(
                rng.choice("0123456789") for _ in range(7 if len(area) == 3 else 6)
            )
            return f"{area}-{local}"
        province = rng.choice("京沪粤苏浙鲁川鄂湘豫")
        serial = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(5))
        return province + rng.choice("ABCDEF") + serial

    cases = []
    for i in range(n):
        chosen = frames or _FRAMES
        frame = chosen[i % len(chosen)]
        line = re.sub(r"\{([A-Z])\}", lambda m: f"[[{m.group(1)}:{value(m.group(1))}]]", frame)
        cases.append(parse(line))
    return cases


@dataclass(frozen=True)
class Score:
    recall: dict[str, float]
    precision: dict[str, float]
    overall_precision: float
    readable: int
    readable_values: tuple[str, ...]


def score(cases: list[Case]) -> Score:
    texts = [c.text for c in cases]
    found = find_spans_batch(texts)
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    readable: list[str] = []
    for case, spans in zip(cases, found, strict=True):
        truth = set(case.gold)
        for s in spans:
            predicted[s.type] += 1
            tp[s.type] += (s.start, s.end, s.type) in truth
        redacted = redact(case.text, spans)
        for start, end, kind in case.gold:
            actual[kind] += 1
            if case.text[start:end] in redacted:
                readable.append(case.text[start:end])
    types = sorted(actual)
    return Score(
        recall={t: tp[t] / actual[t] for t in types},
        precision={t: tp[t] / predicted[t] if predicted[t] else 1.0 for t in predicted},
        overall_precision=sum(tp.values()) / max(1, sum(predicted.values())),
        readable=len(readable),
        readable_values=tuple(readable),
    )
