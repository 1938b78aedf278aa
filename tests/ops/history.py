"""Hand-made case histories around National Day 2024 (holidays 10-01…07, make-up working
day Saturday 10-12), with times in city time (Asia/Shanghai, UTC+8)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from citybase.ops import service
from citybase.ops.models import OpsCase
from citybase.ops.schemas import IntakeBody
from citybase.settings import Settings
from tests.ops.conftest import IN_D2, IN_G1, OpsWorld

CST = dt.timezone(dt.timedelta(hours=8))


def t(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute, tzinfo=CST)


def new_case(
    session: Session, settings: Settings, w: OpsWorld, at: dt.datetime, category: str,
    point: tuple[float, float] = IN_G1, auto: bool = True,
) -> OpsCase:  # fmt: skip
    body = IntakeBody(
        channel="hotline", text=f"测试案卷 {category} {at.isoformat()}", category=category,
        lon=point[0], lat=point[1], at=at,
    )  # fmt: skip
    from citybase.ops.intake import intake
    from citybase.ops.settings import OpsSettings

    ops = OpsSettings(auto_dispatch=auto)
    return intake(session, settings=settings, ops=ops, actor=w.call_taker.user, body=body).case


def do(
    session: Session, settings: Settings, who: Any, case: OpsCase, action: str,
    at: dt.datetime, reason: str | None = None, **data: Any,
) -> None:  # fmt: skip
    service.move(
        db_session=session, settings=settings, actor=who.user, case_id=case.id, action=action,
        reason=reason, data=data, at=at,
    )  # fmt: skip


def october(session: Session, settings: Settings, w: OpsWorld) -> dict[str, OpsCase]:
    """Five cases; expected figures for October 2024 in test_indicators.py."""
    a = new_case(session, settings, w, t(9, 30, 10), "SANITATION")
    do(session, settings, w.cgj, a, "accept", t(9, 30, 11))
    do(session, settings, w.cgj, a, "handle", t(10, 9, 10), result="已清运")
    do(session, settings, w.grid, a, "confirm", t(10, 9, 14))
    do(session, settings, w.dispatcher, a, "close", t(10, 9, 15))
    do(session, settings, w.call_taker, a, "follow_up", t(10, 9, 16), satisfaction="satisfied")

    b = new_case(session, settings, w, t(10, 11, 17), "SANITATION")
    do(session, settings, w.cgj, b, "accept", t(10, 12, 9))
    do(session, settings, w.cgj, b, "handle", t(10, 15, 10), result="已清运")
    do(session, settings, w.grid, b, "send_back", t(10, 15, 11), reason="仍有残留垃圾")
    do(session, settings, w.cgj, b, "handle", t(10, 16, 10), result="已彻底清运")
    do(session, settings, w.grid, b, "confirm", t(10, 16, 10, 30))
    do(session, settings, w.dispatcher, b, "close", t(10, 16, 11))
    do(session, settings, w.call_taker, b, "follow_up", t(10, 16, 12), satisfaction="dissatisfied")

    c = new_case(session, settings, w, t(10, 14, 9), "CONSTRUCTION_NOISE", IN_D2)
    do(session, settings, w.zjj, c, "accept", t(10, 14, 10))
    do(
        session,
        settings,
        w.zjj,
        c,
        "request_extension",
        t(10, 14, 11),
        reason="需协调施工方",
        hours=8,
    )
    do(session, settings, w.dispatcher, c, "approve_extension", t(10, 14, 14), reason="同意延期")

    d = new_case(session, settings, w, t(10, 20, 10), "SANITATION", auto=False)
    do(session, settings, w.call_taker, d, "register", t(10, 20, 11))

    e = new_case(session, settings, w, t(10, 28, 10), "ILLEGAL_BUILDING")
    session.commit()
    return {"a": a, "b": b, "c": c, "d": d, "e": e}
