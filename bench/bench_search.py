"""Catalog search over 10,000 datasets: latency percentiles against the 100 ms p95 target.

Usage: python bench/bench_search.py [--datasets 10000] [--rounds 5] [--backend sqlite|postgres|both]

Builds a fresh catalog of N datasets with realistic Chinese titles, descriptions and
keywords through the catalog service (so indexing goes through jieba and the token table
exactly as in production), then measures:
- indexing rate (datasets/s, including the audit record each creation writes);
- the cold start: the first search of a process loads the token table into memory;
- search latency for a mix of queries (one word, two words, word + facet, facets only,
  no match), at the service and through HTTP (ASGI, bearer token, JSON) — p50/p95/p99;
- the refresh after one dataset is edited (only that dataset is reloaded).
Prints every figure and the ratio p95 / 100 ms target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from citybase.datahub import search, service  # noqa: E402
from citybase.datahub.enums import OpenType, SharingType, UpdateFrequency  # noqa: E402
from citybase.datahub.schemas import DatasetCreate, DatasetUpdate  # noqa: E402
from citybase.db import make_engine, make_session_factory, upgrade  # noqa: E402
from citybase.identity import service as identity_service  # noqa: E402
from citybase.identity.enums import Role  # noqa: E402

DISTRICTS = ["东城区", "西山区", "南湖区", "北塘区", "临江区", "新城区", "高新区", "中山区"]
SUBJECTS = {
    "population": ["常住人口", "户籍人口", "流动人口", "出生登记", "死亡登记", "婚姻登记"],
    "market": ["营业执照", "食品经营许可", "企业年报", "个体工商户", "药品零售", "特种设备"],
    "transport": ["公交站点", "公交线路", "停车场", "充电桩", "出租车", "道路拥堵", "地铁客流"],
    "environment": ["空气质量", "水质监测", "排污口", "噪声监测", "垃圾分类", "河道巡查"],
    "health": ["医疗机构", "医保定点药店", "疫苗接种点", "执业医师", "急救站点"],
    "education": ["中小学校", "幼儿园", "培训机构", "招生计划", "图书馆", "体育场馆"],
    "social_security": ["社保参保", "养老金发放", "失业登记", "工伤认定", "最低生活保障"],
    "housing": ["不动产登记", "公租房", "房屋租赁备案", "建筑工地", "物业小区", "老旧小区改造"],
    "public_safety": ["城管执法案件", "消防设施", "治安卡口", "视频监控点位", "网格事件"],
    "work_safety": ["危险化学品企业", "安全生产检查", "应急避难场所", "应急物资储备"],
    "civil_affairs": ["养老机构", "社区服务中心", "殡葬服务", "社会组织", "慈善捐赠"],
    "finance": ["财政预算", "政府采购", "税收收入", "专项债券"],
}
KINDS = ["名录", "登记信息", "统计", "监测数据", "许可信息", "年报", "月报", "日报", "台账", "分布"]
DEPTS = ["GAJ", "SCJG", "JTJ", "STHJ", "WJW", "JYJ", "RSJ", "ZJJ", "CGJ", "YJJ", "MZJ", "ZSJ"]
QUERIES: list[dict[str, Any]] = [
    {"q": "人口"},
    {"q": "空气质量"},
    {"q": "公交 站点"},
    {"q": "营业执照 登记信息"},
    {"q": "东城区 养老机构"},
    {"q": "充电桩", "open_type": "unconditional"},
    {"q": "学校", "department": "JYJ"},
    {"q": "监测数据", "theme": "environment"},
    {"theme": "housing"},
    {"department": "SCJG", "sharing_type": "conditional"},
    {},
    {"q": "不存在的东西"},
    {"q": "安全生产检查 台账"},
    {"q": "parking"},
]


def build_catalog(factory, n: int, rng: np.random.Generator) -> float:  # type: ignore[no-untyped-def]
    themes = list(SUBJECTS)
    started = time.perf_counter()
    with factory() as s:
        for code in DEPTS:
            identity_service.create_department(
                db_session=s, actor=None, code=code, name_zh=f"{code}局"
            )
        s.commit()
        for i in range(n):
            theme = themes[int(rng.integers(len(themes)))]
            subject = SUBJECTS[theme][int(rng.integers(len(SUBJECTS[theme])))]
            district = DISTRICTS[int(rng.integers(len(DISTRICTS)))]
            kind = KINDS[int(rng.integers(len(KINDS)))]
            open_type = [OpenType.unconditional, OpenType.conditional, OpenType.not_open][i % 3]
            data = DatasetCreate(
                name=f"ds-{i:05d}",
                title=f"{district}{subject}{kind}",
                description=(
                    f"{district}范围内的{subject}{kind}，"
                    f"由主管部门按{['日', '月', '季度', '年'][i % 4]}更新，"
                    f"包含编号、名称、地址、坐标与状态等字段，用于{subject}相关业务协同与统计分析。"
                ),
                department_code=DEPTS[int(rng.integers(len(DEPTS)))],
                theme=theme,
                keywords=[subject, kind, district, "parking" if subject == "停车场" else "数据"],
                update_frequency=UpdateFrequency.monthly,
                licence="city-open" if open_type != OpenType.not_open else "gov-internal",
                sharing_type=SharingType.unconditional,
                open_type=open_type,
                open_condition="申请后开放" if open_type == OpenType.conditional else "",
            )
            service.create_dataset(db_session=s, actor=None, data=data)
            if i % 500 == 499:
                s.commit()
        s.commit()
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    return {"p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99), "max": ordered[-1]}


def run_backend(url: str, label: str, n: int, rounds: int) -> None:
    from fastapi.testclient import TestClient

    from citybase.app import create_app
    from citybase.settings import Settings

    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = np.random.default_rng(2021)
    seconds = build_catalog(factory, n, rng)
    print(f"[{label}] indexed {n} datasets in {seconds:.1f} s ({n / seconds:.0f} datasets/s)")

    search.reset_cache()
    with factory() as s:
        t0 = time.perf_counter()
        first = service.search_datasets(db_session=s, viewer=None, q="人口", as_staff=True)
        cold = (time.perf_counter() - t0) * 1000
    print(
        f"[{label}] cold start (load {n} datasets' tokens into memory): {cold:.0f} ms; "
        f"'人口' → {first.total} hits"
    )

    service_ms: list[float] = []
    with factory() as s:
        for _ in range(rounds):
            for params in QUERIES:
                t0 = time.perf_counter()
                service.search_datasets(db_session=s, viewer=None, as_staff=True, **params)
                service_ms.append((time.perf_counter() - t0) * 1000)
    sp = percentiles(service_ms)

    with factory() as s:
        admin = identity_service.create_user(
            db_session=s,
            actor=None,
            username="bench",
            display_name="bench",
            password="bench-password-long",
            role=Role.platform_admin,
        )
        token, _ = identity_service.issue_token(db_session=s, user=admin, name="bench", days=1)
        s.commit()
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url)
    http_ms: list[float] = []
    with TestClient(create_app(settings, session_factory=factory)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        client.get("/api/datahub/datasets", params={"q": "预热"}, headers=headers)
        for _ in range(rounds):
            for params in QUERIES:
                t0 = time.perf_counter()
                r = client.get("/api/datahub/datasets", params=params, headers=headers)
                http_ms.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text
    hp = percentiles(http_ms)

    with factory() as s:
        service.update_dataset(
            db_session=s,
            actor=None,
            name="ds-00042",
            data=DatasetUpdate(title="新编号数据集 refresh"),
        )
        s.commit()
        t0 = time.perf_counter()
        hit = service.search_datasets(db_session=s, viewer=None, q="refresh", as_staff=True)
        refresh = (time.perf_counter() - t0) * 1000
    assert hit.total == 1
    target = 100.0
    print(
        f"[{label}] service: "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in sp.items())
        + f" (n={len(service_ms)}, mean {statistics.mean(service_ms):.1f} ms)"
    )
    print(
        f"[{label}] HTTP:    "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in hp.items())
        + f" (n={len(http_ms)}, mean {statistics.mean(http_ms):.1f} ms)"
    )
    print(f"[{label}] search after one edit (incremental refresh): {refresh:.1f} ms")
    print(
        f"[{label}] p95 HTTP / target: {hp['p95']:.1f} / {target:.0f} ms = "
        f"{hp['p95'] / target:.2f} "
        f"({'PASS' if hp['p95'] < target else 'FAIL'})"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            run_backend(f"sqlite:///{tmp}/bench.db", "sqlite", args.datasets, args.rounds)
    if args.backend in ("postgres", "both"):
        from tests.conftest import PG_ADMIN_URL, create_postgres_database, drop_postgres_database

        if PG_ADMIN_URL is None:
            print("[postgres] skipped: no server at 127.0.0.1:5432")
            return
        url, name = create_postgres_database()
        try:
            run_backend(url, "postgres", args.datasets, args.rounds)
        finally:
            drop_postgres_database(name)


if __name__ == "__main__":
    main()
