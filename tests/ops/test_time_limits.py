"""Time limits on the working-time calendar: holidays, the make-up Saturday, extension,
suspension (挂起) pausing the clock, warning and overdue flags."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybase.ops import sla
from citybase.settings import Settings
from tests.ops.conftest import OpsWorld
from tests.ops.history import CST, do, new_case, october, t


def local(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    return value.astimezone(CST)


def test_holiday_and_make_up_day(
    client: TestClient, session: Session, settings: Settings, world: OpsWorld
) -> None:
    cases = october(session, settings, world)
    # 24 working hours from Mon 09-30 10:00: 6.5 h that day, National Day skipped,
    # 7.5 on 10-08 and 10-09, 2.5 on 10-10 → 11:30.
    assert local(cases["a"].due_at) == t(10, 10, 11, 30)
    # From Fri 10-11 17:00: 1 h, the make-up Saturday 10-12 counts (7.5), Sunday not,
    # 7.5 on 10-14 and 10-15, 0.5 on 10-16 → 09:30.
    assert local(cases["b"].due_at) == t(10, 16, 9, 30)
    assert cases["a"].on_time is True and cases["a"].handling_hours == 15.0
    assert cases["b"].on_time is False and cases["b"].handling_hours == 24.5
    # Extension of 8 working hours: 10-17 10:30 → 10-18 11:00.
    assert local(cases["c"].due_at) == t(10, 18, 11)
    assert cases["c"].extension_count == 1


def test_suspension_pauses_the_clock(
    client: TestClient, session: Session, settings: Settings, world: OpsWorld
) -> None:
    c = new_case(session, settings, world, t(10, 14, 9), "SANITATION")
    assert local(c.due_at) == t(10, 17, 10, 30)
    do(session, settings, world.cgj, c, "accept", t(10, 14, 9, 30))
    do(session, settings, world.cgj, c, "request_suspension", t(10, 15, 8), reason="等待业主配合")
    do(session, settings, world.dispatcher, c, "approve_suspension", t(10, 15, 9), reason="同意")
    state = sla.state(c, settings, t(10, 20, 9))
    assert state is not None and state.status == "paused"
    do(session, settings, world.cgj, c, "resume", t(10, 16, 9))
    session.commit()
    # 7.5 working hours suspended → the due instant moves by 7.5 working hours.
    assert local(c.due_at) == t(10, 18, 10, 30)
    assert c.status == "processing"


def test_warning_and_overdue_flags(
    client: TestClient, session: Session, settings: Settings, world: OpsWorld
) -> None:
    c = new_case(session, settings, world, t(10, 14, 9), "SANITATION")
    session.commit()
    assert sla.state(c, settings, t(10, 14, 10)).status == "on_time"  # type: ignore[union-attr]
    assert sla.state(c, settings, t(10, 17, 9, 30)).status == "warning"  # type: ignore[union-attr]
    assert sla.state(c, settings, t(10, 17, 11)).status == "overdue"  # type: ignore[union-attr]
