"""Rows of the demo city's departmental datasets, drawn from the base registries.

Every table is a pure function of the registries, the geography and one random stream, so
keys match across departments (a resident's identity number is the same in 公安局's
register and 人社局's copy) and the deliberate problems listed in demo_catalog.yaml are
reproducible: the same seed breaks the same rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from citybase.identifiers.idcard import id_number_check_digit
from citybase.identifiers.luhn import luhn_check_digit

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass
class Inputs:
    residents: pa.Table
    enterprises: pa.Table
    vehicles: pa.Table
    district_names: dict[str, str]
    reference_date: dt.date  # the city's "today" for ages and registrations
    today: dt.date  # the real day the demo is built (freshness is judged against it)
    rng: np.random.Generator


def _col(table: pa.Table, name: str) -> np.ndarray[Any, Any]:
    return np.asarray(table[name].to_pylist(), dtype=object)


def _ages(inputs: Inputs) -> np.ndarray[Any, Any]:
    births = inputs.residents["birth_date"].to_pylist()
    ref = inputs.reference_date
    return np.array([ref.year - b.year - ((ref.month, ref.day) < (b.month, b.day)) for b in births])


def _wrong_check_digit(id_number: str) -> str:
    right = id_number_check_digit(id_number[:17])
    wrong = "0123456789X"[("0123456789X".index(right) + 3) % 11]
    return id_number[:17] + wrong


def _wrong_uscc(code: str) -> str:
    last = USCC_ALPHABET[(USCC_ALPHABET.index(code[-1]) + 7) % len(USCC_ALPHABET)]
    return code[:-1] + last


def _moved(address: str, rng: np.random.Generator) -> str:
    """The same address with another house number: a copy not updated after a move."""
    match = re.search(r"(\d+)号", address)
    if match is None:
        return address + "附1号"
    number = int(match.group(1)) + int(rng.integers(1, 40))
    return address[: match.start(1)] + str(number) + address[match.end(1) :]


def _dates(rng: np.random.Generator, n: int, start: dt.date, end: dt.date) -> list[dt.date]:
    span = (end - start).days
    return [start + dt.timedelta(days=int(d)) for d in rng.integers(0, max(span, 1), n)]


def social_insurance(inp: Inputs) -> pa.Table:
    rng, ages = inp.rng, _ages(inp)
    pool = np.flatnonzero((ages >= 18) & (ages <= 64))
    pick = np.sort(rng.choice(pool, size=min(30_000, len(pool)), replace=False))
    ids, names = _col(inp.residents, "id_number")[pick], _col(inp.residents, "name")[pick]
    sexes = _col(inp.residents, "sex")[pick]
    hukou = _col(inp.residents, "hukou_address")[pick].copy()
    stale = rng.random(len(pick)) < 0.02
    for i in np.flatnonzero(stale):
        hukou[i] = _moved(str(hukou[i]), rng)
    kinds = rng.choice(
        ["职工基本养老保险", "城乡居民基本养老保险", "失业保险", "工伤保险"],
        size=len(pick),
        p=[0.55, 0.25, 0.12, 0.08],
    )
    live = np.flatnonzero(_col(inp.enterprises, "status") == "存续")
    employer = _col(inp.enterprises, "uscc")[rng.choice(live, size=len(pick))]
    rural = kinds == "城乡居民基本养老保险"
    employer_codes = [None if r else str(c) for r, c in zip(rural, employer, strict=True)]
    base = np.round(rng.lognormal(np.log(7500), 0.45, len(pick)), -1)
    return pa.table(
        {
            "公民身份号码": ids.tolist(),
            "姓名": names.tolist(),
            "性别": sexes.tolist(),
            "户籍地址": hukou.tolist(),
            "参保险种": kinds.tolist(),
            "参保日期": _dates(rng, len(pick), dt.date(1995, 1, 1), inp.reference_date),
            "缴费状态": rng.choice(
                ["正常缴费", "暂停缴费", "终止参保"], size=len(pick), p=[0.86, 0.09, 0.05]
            ).tolist(),
            "单位统一社会信用代码": employer_codes,
            "月缴费基数": np.minimum(base, 38_000.0).tolist(),
        }
    )


def medical_insurance(inp: Inputs) -> pa.Table:
    rng = inp.rng
    n = inp.residents.num_rows
    pick = np.sort(rng.choice(n, size=min(40_000, n), replace=False))
    mobiles = _col(inp.residents, "mobile")[pick].copy()
    has_mobile = np.array([m is not None for m in mobiles], dtype=bool)
    changed = np.flatnonzero((rng.random(len(pick)) < 0.01) & has_mobile)
    for i in changed:
        mobiles[i] = (
            "1" + str(int(rng.integers(3, 10))) + "".join(str(d) for d in rng.integers(0, 10, 9))
        )
    hospitals = [f"示范市第{n}人民医院" for n in "一二三四五"] + [
        "示范市中医院",
        "示范市妇幼保健院",
    ]
    return pa.table(
        {
            "公民身份号码": _col(inp.residents, "id_number")[pick].tolist(),
            "姓名": _col(inp.residents, "name")[pick].tolist(),
            "参保类型": rng.choice(
                ["职工医保", "城乡居民医保"], size=len(pick), p=[0.62, 0.38]
            ).tolist(),
            "参保状态": rng.choice(
                ["参保缴费", "暂停参保", "终止参保"], size=len(pick), p=[0.9, 0.06, 0.04]
            ).tolist(),
            "定点医疗机构": rng.choice(hospitals, size=len(pick)).tolist(),
            "联系电话": mobiles.tolist(),
        }
    )


def elderly_allowance(inp: Inputs) -> pa.Table:
    rng, ages = inp.rng, _ages(inp)
    local = np.array([str(h).startswith("示范市") for h in _col(inp.residents, "hukou_address")])
    pick = np.flatnonzero((ages >= 80) & local)
    ids = _col(inp.residents, "id_number")[pick].copy()
    for i in rng.choice(len(pick), size=min(6, len(pick)), replace=False):
        ids[i] = _wrong_check_digit(str(ids[i]))
    age = ages[pick]
    standard = np.where(age >= 100, 1000, np.where(age >= 90, 300, 100))
    cards = []
    for _ in pick:
        payload = "622848" + "".join(str(d) for d in rng.integers(0, 10, 12))
        cards.append(payload + luhn_check_digit(payload))
    for i in rng.choice(len(cards), size=min(2, len(cards)), replace=False):
        cards[i] = cards[i][:-1] + str((int(cards[i][-1]) + 5) % 10)
    return pa.table(
        {
            "公民身份号码": ids.tolist(),
            "姓名": _col(inp.residents, "name")[pick].tolist(),
            "年龄": age.tolist(),
            "户籍地址": _col(inp.residents, "hukou_address")[pick].tolist(),
            "月津贴标准": standard.tolist(),
            "发放月份": [inp.reference_date.strftime("%Y-%m")] * len(pick),
            "银行卡号": cards,
        }
    )


def real_estate(inp: Inputs) -> pa.Table:
    rng, res = inp.rng, inp.residents
    households = _col(res, "household_id")
    _, first = np.unique(households.astype(np.int64), return_index=True)
    pick = np.sort(rng.choice(first, size=min(20_000, len(first)), replace=False))
    units = []
    for j, i in enumerate(pick):
        grid = str(res["grid_code"][int(i)])
        units.append(f"{grid[:12]}GB{(j % 99999) + 1:05d}F{int(rng.integers(1, 10**8)):08d}")
    return pa.table(
        {
            "不动产单元号": units,
            "坐落": _col(res, "address")[pick].tolist(),
            "权利人": _col(res, "name")[pick].tolist(),
            "权利人证件号码": _col(res, "id_number")[pick].tolist(),
            "建筑面积": np.round(rng.normal(95, 30, len(pick)).clip(25, 400), 2).tolist(),
            "规划用途": rng.choice(
                ["住宅", "商住", "车库"], size=len(pick), p=[0.9, 0.07, 0.03]
            ).tolist(),
            "登记日期": _dates(rng, len(pick), dt.date(2000, 1, 1), inp.reference_date),
        }
    )


def public_housing(inp: Inputs) -> pa.Table:
    rng, res, ages = inp.rng, inp.residents, _ages(inp)
    pool = np.flatnonzero(ages >= 22)
    pick = np.sort(rng.choice(pool, size=600, replace=False))
    return pa.table(
        {
            "申请人公民身份号码": _col(res, "id_number")[pick].tolist(),
            "申请人姓名": _col(res, "name")[pick].tolist(),
            "家庭人数": rng.integers(1, 6, len(pick)).tolist(),
            "居住地址": _col(res, "address")[pick].tolist(),
            "保障方式": rng.choice(["实物配租", "租赁补贴"], size=len(pick), p=[0.4, 0.6]).tolist(),
            "批准日期": _dates(rng, len(pick), dt.date(2015, 1, 1), inp.reference_date),
        }
    )


def grid_population(inp: Inputs) -> pa.Table:
    ages = _ages(inp)
    t = pa.table(
        {
            "网格编码": inp.residents["grid_code"],
            "所属街道": inp.residents["street_code"],
            "户": inp.residents["household_id"],
            "人": pa.array(np.ones(len(ages), dtype=np.int64)),
            "老": pa.array((ages >= 60).astype(np.int64)),
            "少": pa.array((ages <= 14).astype(np.int64)),
        }
    )
    g = t.group_by(["网格编码", "所属街道"]).aggregate(
        [("人", "sum"), ("户", "count_distinct"), ("老", "sum"), ("少", "sum")]
    )
    return pa.table(
        {
            "网格编码": g["网格编码"],
            "所属街道编码": g["所属街道"],
            "常住人口": g["人_sum"],
            "户数": g["户_count_distinct"],
            "60岁及以上人口": g["老_sum"],
            "14岁及以下人口": g["少_sum"],
        }
    ).sort_by("网格编码")
