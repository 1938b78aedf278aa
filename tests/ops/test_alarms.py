"""Sensor alarms: one case per episode, repeats as notes, the return to normal recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citybase.events import DomainEvent, publish
from citybase.events.base import event_types
from citybase.jobs.runtime import drain
from citybase.ops import alarms
from citybase.ops.models import OpsCase, OpsNote
from tests.ops.conftest import IN_G1, OpsWorld


@dataclass
class Raised:  # stands in for sensing.AlarmRaised v1 (sensing is not imported)
    alarm_id: int
    rule_id: int = 1
    rule_name: str = "积水深度超限"
    category: str = "SANITATION"
    datastream_id: int = 9
    thing_name: str = "1号下穿隧道水位计"
    observed_property: str = "水位"
    value: float = 0.42
    message: str = "水位 0.42 m 超过 0.30 m"
    lon: float | None = IN_G1[0]
    lat: float | None = IN_G1[1]
    raised_at: str = "2024-10-14T10:00:00+08:00"


@dataclass
class Repeated:
    alarm_id: int
    value: float
    at: str


@dataclass
class Cleared:
    alarm_id: int
    value: float
    cleared_at: str


def test_handlers_on_stand_in_events(session: Session, world: OpsWorld) -> None:
    alarms.on_raised(session, Raised(alarm_id=7))
    alarms.on_raised(session, Raised(alarm_id=7))  # redelivered: still one case
    alarms.on_repeated(session, Repeated(7, 0.5, "2024-10-14T10:05:00+08:00"))
    alarms.on_repeated(session, Repeated(7, 0.5, "2024-10-14T10:05:00+08:00"))
    alarms.on_cleared(session, Cleared(7, 0.1, "2024-10-14T11:00:00+08:00"))
    alarms.on_raised(session, Raised(alarm_id=8, lon=0.0, lat=0.0))  # outside: taken in, no place
    session.commit()
    (case,) = session.scalars(select(OpsCase).where(OpsCase.alarm_id == 7)).all()
    assert case.channel == "sensor" and case.status == "dispatched" and case.department == "CGJ"
    kinds = [n.kind for n in session.scalars(select(OpsNote).where(OpsNote.case_id == case.id))]
    assert kinds == ["alarm_repeated", "alarm_cleared"]
    outside = session.scalar(select(OpsCase).where(OpsCase.alarm_id == 8))
    assert outside is not None and outside.grid_code is None


class AlarmRaised(DomainEvent):
    event_type: ClassVar[str] = "sensing.AlarmRaised"
    alarm_id: int
    rule_id: int
    rule_name: str
    category: str
    datastream_id: int
    thing_name: str
    observed_property: str
    value: float
    message: str
    lon: float | None
    lat: float | None
    raised_at: str


def test_through_a_real_publish(
    client: TestClient, session: Session, session_factory: sessionmaker[Session], world: OpsWorld,
    monkeypatch: object,
) -> None:  # fmt: skip
    known = dict(event_types())
    if "sensing.AlarmRaised" not in known:  # sensing not installed: register a test class
        known["sensing.AlarmRaised"] = AlarmRaised
        import citybase.events.base as base

        setattr(monkeypatch, "_x", None)
        monkeypatch.setattr(base, "event_types", lambda: known)  # type: ignore[attr-defined]
    cls = known["sensing.AlarmRaised"]
    publish(session, cls(**Raised(alarm_id=21).__dict__))
    session.commit()
    drain(session_factory)
    session.expire_all()
    case = session.scalar(select(OpsCase).where(OpsCase.alarm_id == 21))
    assert case is not None and case.channel == "sensor"
