"""Sensor alarms become cases (物联感知 → 一网统管), contract v1 of the sensing domain's events.

``sensing.AlarmRaised`` opens one case per alarm episode (``alarm_id``, idempotent: a
redelivered event finds its case); ``sensing.AlarmRepeated`` adds a note to it;
``sensing.AlarmCleared`` records the return to normal. Sensing is never imported: fields are
read by name from the event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.db import utcnow
from citybase.errors import ValidationFailed
from citybase.events import Subscriber
from citybase.ops import service
from citybase.ops.enums import Channel
from citybase.ops.models import OpsCase, OpsNote
from citybase.ops.schemas import IntakeBody
from citybase.ops.taxonomy import categories
from citybase.settings import get_settings

RAISED, REPEATED, CLEARED = "sensing.AlarmRaised", "sensing.AlarmRepeated", "sensing.AlarmCleared"


def _field(event: Any, name: str, default: Any = None) -> Any:
    if isinstance(event, dict):
        return event.get(name, default)
    return getattr(event, name, default)


def _when(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    return utcnow()


def case_of_alarm(db_session: Session, alarm_id: int) -> OpsCase | None:
    return db_session.scalar(select(OpsCase).where(OpsCase.alarm_id == alarm_id))


def on_raised(db_session: Session, event: Any) -> None:
    alarm_id = int(_field(event, "alarm_id"))
    if case_of_alarm(db_session, alarm_id) is not None:
        return  # redelivered: the episode already has its case
    settings = get_settings()
    category = _field(event, "category")
    known = categories(settings)
    text = (
        f"【物联感知告警】{_field(event, 'rule_name', '')}：{_field(event, 'thing_name', '')} "
        f"{_field(event, 'observed_property', '')} = {_field(event, 'value')}。"
        f"{_field(event, 'message', '')}"
    )
    lon, lat = _field(event, "lon"), _field(event, "lat")
    body = IntakeBody(
        channel=Channel.sensor, text=text[:4000], lon=lon, lat=lat,
        category=category if category in known else None,
        external_ref=f"alarm:{alarm_id}", idempotency_key=f"sensing-alarm-{alarm_id}",
        at=_when(_field(event, "raised_at")),
    )  # fmt: skip
    try:
        service.intake(db_session=db_session, settings=settings, actor=None, body=body,
                       alarm_id=alarm_id)  # fmt: skip
    except ValidationFailed as exc:  # a point outside the city: take it in without a place
        if exc.field not in ("lon", "lat"):
            raise
        body = body.model_copy(update={"lon": None, "lat": None})
        service.intake(db_session=db_session, settings=settings, actor=None, body=body,
                       alarm_id=alarm_id)  # fmt: skip


def _note(db_session: Session, event: Any, kind: str, text: str, at_field: str) -> None:
    case = case_of_alarm(db_session, int(_field(event, "alarm_id")))
    if case is None:
        return  # an episode raised before ops was installed: nothing to attach it to
    at = _when(_field(event, at_field))
    exists = db_session.scalar(
        select(OpsNote.id).where(OpsNote.case_id == case.id, OpsNote.kind == kind, OpsNote.at == at)
    )
    if exists is None:  # at least once: a redelivery adds nothing
        db_session.add(OpsNote(case_id=case.id, kind=kind, text=text, author="sensing", at=at))
        db_session.flush()


def on_repeated(db_session: Session, event: Any) -> None:
    _note(db_session, event, "alarm_repeated", f"告警重复：读数 {_field(event, 'value')}", "at")


def on_cleared(db_session: Session, event: Any) -> None:
    _note(
        db_session, event, "alarm_cleared", f"告警解除，读数恢复正常：{_field(event, 'value')}",
        "cleared_at",
    )  # fmt: skip


SUBSCRIBERS = (
    Subscriber("ops.alarm_raised", (RAISED,), on_raised),
    Subscriber("ops.alarm_repeated", (REPEATED,), on_repeated),
    Subscriber("ops.alarm_cleared", (CLEARED,), on_cleared),
)
