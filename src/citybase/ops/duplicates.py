"""Duplicate reports (重复上报): same category, near in space and time, similar text.

Candidates come from one index range (category, created_at) and a bounding box; then the
distance (haversine) and the character-bigram Jaccard similarity of the texts decide.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.ops.enums import OPEN_STATES
from citybase.ops.models import OpsCase
from citybase.ops.settings import OpsSettings

EARTH_M = 6_371_000.0


@dataclass(frozen=True)
class Duplicate:
    case_id: int
    distance_m: float
    similarity: float
    status: str


def bigrams(text: str) -> set[str]:
    chars = [c for c in text if not c.isspace() and c not in "，。！？,.!?、；;：:"]
    return {a + b for a, b in itertools.pairwise(chars)} or set(chars)


def similarity(a: str, b: str) -> float:
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(h))


def find_duplicates(
    db_session: Session,
    ops: OpsSettings,
    *,
    category: str | None,
    text: str,
    lon: float | None,
    lat: float | None,
    at: dt.datetime,
    exclude: int | None = None,
    limit: int = 5,
) -> list[Duplicate]:
    if category is None or lon is None or lat is None:
        return []
    dlat = ops.duplicate_radius_m / 111_000.0
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    stmt = (
        select(OpsCase.id, OpsCase.text, OpsCase.lon, OpsCase.lat, OpsCase.status)
        .where(
            OpsCase.category == category,
            OpsCase.created_at >= at - dt.timedelta(hours=ops.duplicate_hours),
            OpsCase.created_at <= at + dt.timedelta(minutes=1),
            OpsCase.status.in_(OPEN_STATES),
            OpsCase.lon.between(lon - dlon, lon + dlon),
            OpsCase.lat.between(lat - dlat, lat + dlat),
        )
        .limit(200)
    )
    found: list[Duplicate] = []
    for cid, ctext, clon, clat, status in db_session.execute(stmt):
        if cid == exclude or clon is None or clat is None:
            continue
        d = distance_m(lon, lat, clon, clat)
        s = similarity(text, ctext)
        if d <= ops.duplicate_radius_m and s >= ops.duplicate_similarity:
            found.append(Duplicate(cid, round(d, 1), round(s, 3), status))
    found.sort(key=lambda x: (-x.similarity, x.distance_m))
    return found[:limit]
