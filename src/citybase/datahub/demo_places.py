"""Rows of the demo city's registers of places and organisations: care homes, food
licences, hazardous-chemical firms, schools, hospitals, bus stops, air-quality stations and
readings, law-enforcement cases. Drawn from the base registries (real addresses, points and
company codes) and one random stream; see ``demo_tables`` for the people-centred datasets.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from citybase.datahub.demo_tables import Inputs, _col, _dates, _wrong_uscc


def care_homes(inp: Inputs) -> pa.Table:
    rng = inp.rng
    districts = list(inp.district_names.values())
    n = 36
    stale_from = inp.today - dt.timedelta(days=210)
    return pa.table(
        {
            "机构名称": [
                f"示范市{districts[i % len(districts)]}第{i // len(districts) + 1}养老院"
                for i in range(n)
            ],
            "地址": [
                f"示范市{districts[i % len(districts)]}康乐路{int(rng.integers(1, 300))}号"
                for i in range(n)
            ],
            "床位数": rng.integers(40, 600, n).tolist(),
            "收住对象": rng.choice(["自理老人", "失能半失能老人", "全部"], size=n).tolist(),
            "运营方式": rng.choice(
                ["公办公营", "公建民营", "民办"], size=n, p=[0.3, 0.3, 0.4]
            ).tolist(),
            "数据更新日期": _dates(rng, n, stale_from, stale_from + dt.timedelta(days=30)),
        }
    )


def food_licences(inp: Inputs) -> pa.Table:
    rng, ent = inp.rng, inp.enterprises
    pick = np.flatnonzero(
        np.isin(_col(ent, "industry_code"), ["H", "F"]) & (_col(ent, "status") == "存续")
    )
    pick = np.sort(rng.choice(pick, size=min(1500, len(pick)), replace=False))
    codes = _col(ent, "uscc")[pick].copy()
    for i in rng.choice(len(pick), size=3, replace=False):
        codes[i] = _wrong_uscc(str(codes[i]))
    issued = _dates(rng, len(pick), dt.date(2019, 1, 1), inp.reference_date)
    food_service = _col(ent, "industry_code")[pick] == "H"
    districts = _col(ent, "district_code")[pick]
    numbers = [
        f"JY{1 if f else 2}{d}{i + 1:07d}"
        for i, (f, d) in enumerate(zip(food_service, districts, strict=True))
    ]
    return pa.table(
        {
            "许可证编号": numbers,
            "统一社会信用代码": codes.tolist(),
            "经营者名称": _col(ent, "name")[pick].tolist(),
            "法定代表人": _col(ent, "legal_representative")[pick].tolist(),
            "经营场所": _col(ent, "address")[pick].tolist(),
            "主体业态": np.where(food_service, "餐饮服务经营者", "食品销售经营者").tolist(),
            "发证日期": issued,
            "有效期至": [
                d.replace(year=d.year + 5)
                if (d.month, d.day) != (2, 29)
                else d + dt.timedelta(days=1826)
                for d in issued
            ],
        }
    )


def hazard_enterprises(inp: Inputs) -> pa.Table:
    rng, ent = inp.rng, inp.enterprises
    pool = np.flatnonzero((_col(ent, "industry_code") == "C") & (_col(ent, "status") == "存续"))
    pick = np.sort(rng.choice(pool, size=min(150, len(pool)), replace=False))
    names = _col(ent, "name")[pick].copy()
    for i in rng.choice(len(pick), size=5, replace=False):
        names[i] = (
            str(names[i]).replace("有限公司", "有限责任公司")
            if "有限公司" in str(names[i])
            else f"{names[i]}（原名）"
        )
    return pa.table(
        {
            "统一社会信用代码": _col(ent, "uscc")[pick].tolist(),
            "企业名称": names.tolist(),
            "危险化学品类别": rng.choice(
                ["易燃液体", "腐蚀性物质", "压缩气体和液化气体", "有毒品", "氧化剂"], size=len(pick)
            ).tolist(),
            "重大危险源等级": rng.choice(
                ["一级", "二级", "三级", "四级", "无"],
                size=len(pick),
                p=[0.02, 0.06, 0.12, 0.2, 0.6],
            ).tolist(),
            "安全生产许可证有效期至": _dates(
                rng, len(pick), inp.reference_date, inp.reference_date + dt.timedelta(days=1095)
            ),
            "地址": _col(ent, "address")[pick].tolist(),
        }
    )


def _places(inp: Inputs, n: int) -> tuple[list[str], list[str], list[float], list[float]]:
    """Addresses, district codes and points of random residents' homes (real city spots)."""
    pick = inp.rng.choice(inp.residents.num_rows, size=n, replace=False)
    addresses = [re.sub(r"\d+栋.*$", "", str(a)) for a in _col(inp.residents, "address")[pick]]
    return (
        addresses,
        _col(inp.residents, "district_code")[pick].tolist(),
        _col(inp.residents, "lon")[pick].astype(float).tolist(),
        _col(inp.residents, "lat")[pick].astype(float).tolist(),
    )


def schools(inp: Inputs) -> pa.Table:
    rng = inp.rng
    stages = rng.choice(
        ["小学", "初中", "高中", "九年一贯制"], size=140, p=[0.55, 0.25, 0.12, 0.08]
    )
    addresses, districts, lon, lat = _places(inp, len(stages))
    counters: dict[tuple[str, str], int] = {}
    names = []
    suffix = {"小学": "小学", "初中": "中学", "高中": "高级中学", "九年一贯制": "实验学校"}
    for stage, district in zip(stages, districts, strict=True):
        key = (district, str(stage))
        counters[key] = counters.get(key, 0) + 1
        names.append(
            f"示范市{inp.district_names.get(district, '')}第{counters[key]}{suffix[str(stage)]}"
        )
    students = rng.integers(300, 3200, len(stages))
    return pa.table(
        {
            "学校名称": names,
            "学段": stages.tolist(),
            "办学性质": rng.choice(["公办", "民办"], size=len(stages), p=[0.85, 0.15]).tolist(),
            "地址": addresses,
            "所在区划代码": districts,
            "经度": lon,
            "纬度": lat,
            "在校生数": students.tolist(),
            "教职工数": (students // rng.integers(12, 18, len(stages))).tolist(),
        }
    )


def hospitals(inp: Inputs) -> pa.Table:
    rng = inp.rng
    kinds = ["综合医院"] * 8 + ["中医医院"] * 3 + ["专科医院"] * 9 + ["社区卫生服务中心"] * 60
    addresses, districts, lon, lat = _places(inp, len(kinds))
    names, levels, beds = [], [], []
    counters: dict[tuple[str, str], int] = {}
    for i, kind in enumerate(kinds):
        dname = inp.district_names.get(districts[i], "")
        counters[(dname, kind)] = counters.get((dname, kind), 0) + 1
        k = counters[(dname, kind)]
        if kind == "社区卫生服务中心":
            names.append(f"示范市{dname}第{k}社区卫生服务中心")
            levels.append("一级")
            beds.append(int(rng.integers(0, 60)))
        else:
            names.append(f"示范市{dname}第{k}{kind}")
            levels.append(str(rng.choice(["三级甲等", "三级乙等", "二级甲等"])))
            beds.append(int(rng.integers(200, 2500)))
    phones = [f"025-{int(rng.integers(5000_0000, 8999_9999))}" for _ in kinds]
    return pa.table(
        {
            "机构名称": names,
            "机构类别": kinds,
            "等级": levels,
            "地址": addresses,
            "床位数": beds,
            "经度": lon,
            "纬度": lat,
            "联系电话": phones,
        }
    )


def bus_stops(inp: Inputs) -> pa.Table:
    rng, n = inp.rng, 800
    addresses, districts, lon, lat = _places(inp, n)
    roads = [re.sub(r"^示范市.{2}区.{2,4}街道", "", a) or a for a in addresses]
    numbers = [f"BS{i + 1:05d}" for i in range(n)]
    for i in rng.choice(n - 1, size=4, replace=False):
        numbers[int(i) + 1] = numbers[int(i)]
    lines = [
        ";".join(
            f"{x}路"
            for x in sorted(rng.choice(120, size=int(rng.integers(1, 5)), replace=False) + 1)
        )
        for _ in range(n)
    ]
    return pa.table(
        {
            "站点编号": numbers,
            "站点名称": [f"{r}站" for r in roads],
            "途经线路": lines,
            "经度": lon,
            "纬度": lat,
            "所在区": [inp.district_names.get(d, d) for d in districts],
        }
    )


def air_stations(inp: Inputs) -> pa.Table:
    addresses, districts, lon, lat = _places(inp, 12)
    kinds = ["国控"] * 4 + ["省控"] * 4 + ["市控"] * 4
    return pa.table(
        {
            "站点编码": [f"3201A{i + 1:04d}" for i in range(12)],
            "站点名称": [
                f"{inp.district_names.get(d, '')}{k}监测站{i + 1}"
                for i, (d, k) in enumerate(zip(districts, kinds, strict=True))
            ],
            "站点类型": kinds,
            "经度": lon,
            "纬度": lat,
            "地址": addresses,
        }
    )


def air_quality_daily(inp: Inputs) -> pa.Table:
    rng = inp.rng
    stations = [f"3201A{i + 1:04d}" for i in range(12)]
    days = [inp.today - dt.timedelta(days=d) for d in range(90, 0, -1)]
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "站点编码",
            "监测日期",
            "AQI",
            "PM2_5",
            "PM10",
            "O3",
            "首要污染物",
            "空气质量级别",
        )
    }
    season = {d: 1.0 + 0.35 * np.cos((d.timetuple().tm_yday - 15) / 365 * 2 * np.pi) for d in days}
    for s in stations:
        bias = rng.normal(1.0, 0.08)
        for d in days:
            pm25 = max(3.0, rng.gamma(4.0, 9.0) * season[d] * bias)
            aqi = int(min(480, pm25 * 1.45 + rng.normal(8, 5)))
            rows["站点编码"].append(s)
            rows["监测日期"].append(d)
            rows["AQI"].append(aqi)
            rows["PM2_5"].append(round(pm25, 1))
            rows["PM10"].append(round(pm25 * rng.uniform(1.3, 1.9), 1))
            rows["O3"].append(round(rng.gamma(6.0, 15.0), 1))
            rows["首要污染物"].append("PM2.5" if aqi > 50 else None)
            rows["空气质量级别"].append(
                "优"
                if aqi <= 50
                else "良"
                if aqi <= 100
                else "轻度污染"
                if aqi <= 150
                else "中度污染"
                if aqi <= 200
                else "重度污染"
            )
    for i in rng.choice(len(rows["AQI"]), size=4, replace=False):
        rows["AQI"][int(i)] = -1 if i % 2 else 999
    return pa.table(rows)


def air_quality_monthly(daily: pa.Table) -> pa.Table:
    ok = daily.filter(pc.and_(pc.greater_equal(daily["AQI"], 0), pc.less_equal(daily["AQI"], 500)))
    month = pc.strftime(ok["监测日期"], format="%Y-%m")
    good = pc.cast(pc.less_equal(ok["AQI"], 100), pa.int64())
    grouped = (
        pa.table(
            {
                "站点编码": ok["站点编码"],
                "月份": month,
                "AQI": ok["AQI"],
                "PM2_5": ok["PM2_5"],
                "good": good,
            }
        )
        .group_by(["站点编码", "月份"])
        .aggregate([("AQI", "mean"), ("PM2_5", "mean"), ("good", "sum")])
    )
    return pa.table(
        {
            "站点编码": grouped["站点编码"],
            "月份": grouped["月份"],
            "AQI月均值": pc.round(grouped["AQI_mean"], 1),
            "PM2_5月均值": pc.round(grouped["PM2_5_mean"], 1),
            "优良天数": grouped["good_sum"],
        }
    ).sort_by([("站点编码", "ascending"), ("月份", "ascending")])


def enforcement_cases(inp: Inputs) -> pa.Table:
    rng, n = inp.rng, 1200
    grids = _col(inp.residents, "grid_code")[rng.choice(inp.residents.num_rows, size=n)]
    opened = _dates(rng, n, inp.today - dt.timedelta(days=365), inp.today - dt.timedelta(days=1))
    closed = [
        d + dt.timedelta(days=int(x)) if x < 40 else None
        for d, x in zip(opened, rng.integers(1, 60, n), strict=True)
    ]
    business = rng.random(n) < 0.6
    codes = _col(inp.enterprises, "uscc")[rng.choice(inp.enterprises.num_rows, size=n)]
    return pa.table(
        {
            "案件编号": [f"CG{d:%Y%m%d}{i:05d}" for i, d in enumerate(opened)],
            "案由": rng.choice(
                ["占道经营", "违规设置户外广告", "渣土撒漏", "违法建设", "乱堆乱放", "噪声扰民"],
                size=n,
            ).tolist(),
            "网格编码": grids.tolist(),
            "立案日期": opened,
            "结案日期": [c if c is None or c <= inp.today else None for c in closed],
            "处罚金额": np.where(rng.random(n) < 0.5, 0, rng.integers(1, 200, n) * 100)
            .astype(float)
            .tolist(),
            "当事人类型": np.where(business, "单位", "个人").tolist(),
            "当事单位统一社会信用代码": [
                str(c) if b else None for b, c in zip(business, codes, strict=True)
            ],
        }
    )
