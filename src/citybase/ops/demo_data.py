"""What the demo's cases look like: wording varied from the taxonomy's examples, points in
the city's grids, daily and seasonal rhythms. (The classifier package will ship a corpus of
real-style texts; until then the taxonomy's examples with variation stand in.)"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import shapely
from sqlalchemy.orm import Session

from citybase.geo import service as geo_service
from citybase.ops.taxonomy import Category, categories
from citybase.settings import Settings

OPENINGS = ("", "您好，", "市民来电反映：", "网格员巡查发现：", "APP上报：", "我要投诉，",
            "麻烦处理一下，", "反映一个问题，")  # fmt: skip
CLOSINGS = ("", "请尽快处理。", "希望相关部门管一管。", "已经反映过好几次了。", "影响很大，谢谢！",
            "请派人来看看。", "周边居民意见很大。")  # fmt: skip
PLACES = ("小区门口", "学校附近", "菜市场旁边", "公交站台", "十字路口", "公园里", "地铁口",
          "楼下", "河边步道")  # fmt: skip
#: Relative hourly volume (city time), 0…23: quiet nights, a morning and an afternoon peak.
HOURLY = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.2, 4.6, 3.4, 3.6, 4.4, 4.6,
                   4.3, 3.8, 3.2, 3, 2.8, 2.4, 1.8, 1.3])  # fmt: skip


def wording(rng: np.random.Generator, cat: Category) -> str:
    base = str(rng.choice(list(cat.examples))) if cat.examples else cat.name_zh
    if cat.keywords and rng.random() < 0.35:
        base = f"{rng.choice(PLACES)}{rng.choice(list(cat.keywords))}问题，{base}"
    return (
        f"{rng.choice(OPENINGS)}{base}{'，' if rng.random() < 0.5 else '。'}{rng.choice(CLOSINGS)}"
    )


def seasonal_weights(cats: list[Category], month: int, seed: int) -> np.ndarray:
    """Each category gets its own yearly wave (peak month drawn from the seed, not its code)."""
    rng = np.random.default_rng([seed, 11])
    peaks = rng.integers(1, 13, size=len(cats))
    base = rng.uniform(0.5, 2.0, size=len(cats))
    wave = 1 + 0.6 * np.cos(2 * np.pi * (month - peaks) / 12)
    w = base * wave
    return np.asarray(w / w.sum())


def grid_points(db_session: Session, rng: np.random.Generator, n: int) -> list[tuple[float, float]]:
    grids = geo_service.list_areas(db_session=db_session, level="grid")
    if not grids:
        return []
    shapes = [shapely.from_geojson(g.geometry) for g in grids]
    out: list[tuple[float, float]] = []
    weights = rng.pareto(1.5, size=len(shapes)) + 0.2  # some grids are hot spots
    weights /= weights.sum()
    while len(out) < n:
        shape = shapes[int(rng.choice(len(shapes), p=weights))]
        x0, y0, x1, y1 = shape.bounds
        for _ in range(20):
            x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
            if shape.contains(shapely.Point(x, y)):
                out.append((round(x, 6), round(y, 6)))
                break
    return out


def arrival_times(
    rng: np.random.Generator, n: int, end: dt.datetime, days: int, tz: dt.tzinfo
) -> list[dt.datetime]:
    day_index = np.sort(rng.integers(0, days, size=n))
    hours = rng.choice(24, size=n, p=HOURLY / HOURLY.sum())
    minutes = rng.integers(0, 60, size=n)
    start_day = (end.astimezone(tz) - dt.timedelta(days=days)).date()
    out = []
    for d, h, m in zip(day_index, hours, minutes, strict=True):
        day = start_day + dt.timedelta(days=int(d))
        out.append(dt.datetime.combine(day, dt.time(int(h), int(m)), tz).astimezone(dt.UTC))
    return out


def category_list(settings: Settings) -> list[Category]:
    return list(categories(settings).values())


def to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
