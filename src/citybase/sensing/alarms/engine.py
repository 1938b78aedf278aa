"""Live alarm evaluation: every stored batch runs the rules of its datastreams, in the
batch's transaction, so an observation and the alarm it raises commit together."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from citybase.audit import service as audit
from citybase.db import utcnow
from citybase.events import publish
from citybase.sensing import models as m
from citybase.sensing.alarms.rules import LABEL_ZH, Machine, classify
from citybase.sensing.events import AlarmCleared, AlarmRaised, AlarmRepeated

if TYPE_CHECKING:
    from citybase.sensing.store import NewObservation

REPEAT_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class StreamInfo:
    datastream_id: int
    thing_name: str
    observed_property: str
    unit: str
    lon: float | None
    lat: float | None


def stream_info(db_session: Session, datastream_id: int) -> StreamInfo:
    row = db_session.execute(
        select(m.Datastream, m.Thing.name, m.ObservedProperty.name)
        .join(m.Thing, m.Thing.id == m.Datastream.thing_id)
        .join(m.ObservedProperty, m.ObservedProperty.id == m.Datastream.observed_property_id)
        .where(m.Datastream.id == datastream_id)
    ).one()
    ds, thing_name, prop_name = row
    loc = db_session.execute(
        select(m.Location.lon, m.Location.lat)
        .join(m.thing_location, m.thing_location.c.location_id == m.Location.id)
        .where(m.thing_location.c.thing_id == ds.thing_id)
        .limit(1)
    ).first()
    unit = json.loads(ds.unit_of_measurement or "{}").get("symbol") or ""
    return StreamInfo(
        ds.id, thing_name, prop_name, unit, loc[0] if loc else None, loc[1] if loc else None
    )


def rules_for(db_session: Session, datastream_ids: set[int]) -> dict[int, list[m.AlarmRule]]:
    props = dict(
        db_session.execute(
            select(m.Datastream.id, m.Datastream.observed_property_id).where(
                m.Datastream.id.in_(datastream_ids)
            )
        ).all()
    )
    rules = db_session.scalars(
        select(m.AlarmRule).where(
            m.AlarmRule.enabled.is_(True),
            m.AlarmRule.kind != "no_data",
            or_(
                m.AlarmRule.datastream_id.in_(datastream_ids),
                m.AlarmRule.observed_property_id.in_(set(props.values())),
            ),
        )
    ).all()
    out: dict[int, list[m.AlarmRule]] = defaultdict(list)
    for ds_id, prop_id in props.items():
        for rule in rules:
            if rule.datastream_id == ds_id or (
                rule.datastream_id is None and rule.observed_property_id == prop_id
            ):
                out[ds_id].append(rule)
    return out


def evaluate(db_session: Session, batch: Sequence[NewObservation]) -> None:
    by_ds: dict[int, list[NewObservation]] = defaultdict(list)
    for o in batch:
        if isinstance(o.result, int | float) and not isinstance(o.result, bool):
            by_ds[o.datastream_id].append(o)
    if not by_ds:
        return
    rules = rules_for(db_session, set(by_ds))
    nodata = db_session.scalars(
        select(m.Alarm).where(
            m.Alarm.datastream_id.in_(set(by_ds)),
            m.Alarm.state == "active",
            m.Alarm.kind == "no_data",
        )
    ).all()
    for alarm in nodata:  # data arrived again
        obs = max(by_ds[alarm.datastream_id], key=lambda o: o.phenomenon_ms)
        clear(db_session, alarm, float(obs.result))
    for ds_id, rule_list in rules.items():
        observations = sorted(by_ds[ds_id], key=lambda o: o.phenomenon_ms)
        for rule in rule_list:
            _run_rule(db_session, rule, ds_id, observations)


def _run_rule(
    db_session: Session, rule: m.AlarmRule, ds_id: int, observations: list[NewObservation]
) -> None:
    state = db_session.get(m.RuleState, (rule.id, ds_id))
    if state is None:
        state = m.RuleState(rule_id=rule.id, datastream_id=ds_id, breaches=0, normals=0)
        db_session.add(state)
    alarm = db_session.scalars(
        select(m.Alarm).where(
            m.Alarm.rule_id == rule.id, m.Alarm.datastream_id == ds_id, m.Alarm.state == "active"
        )
    ).first()
    machine = Machine(rule.debounce, state.breaches, state.normals, alarm is not None)
    params = json.loads(rule.params)
    for o in observations:
        value = float(o.result)
        verdict = classify(
            rule.kind,
            params,
            value,
            o.phenomenon_ms,
            state.last_value,
            state.last_ms,
            machine.active,
        )
        action = machine.step(verdict)
        state.last_value, state.last_ms = value, o.phenomenon_ms
        if action == "raise":
            alarm = raise_alarm(db_session, rule, ds_id, value)
        elif action == "repeat" and alarm is not None:
            repeat(db_session, alarm, value)
        elif action == "clear" and alarm is not None:
            clear(db_session, alarm, value)
            alarm = None
    state.breaches, state.normals = machine.breaches, machine.normals


def raise_alarm(db_session: Session, rule: m.AlarmRule, ds_id: int, value: float) -> m.Alarm:
    info = stream_info(db_session, ds_id)
    now = utcnow()
    shown = f"{value:g}{info.unit}" if rule.kind != "no_data" else f"{value:g} 分钟"
    message = (
        f"【{rule.name}】{info.thing_name}的{info.observed_property}{LABEL_ZH[rule.kind]}：{shown}"
    )
    alarm = m.Alarm(
        rule_id=rule.id,
        datastream_id=ds_id,
        state="active",
        kind=rule.kind,
        message=message,
        first_value=value,
        last_value=value,
        repeats=0,
        raised_at=now,
        last_at=now,
    )
    db_session.add(alarm)
    db_session.flush()
    publish(
        db_session,
        AlarmRaised(
            alarm_id=alarm.id,
            rule_id=rule.id,
            rule_name=rule.name,
            category=rule.category,
            datastream_id=ds_id,
            thing_name=info.thing_name,
            observed_property=info.observed_property,
            value=value,
            message=message,
            lon=info.lon,
            lat=info.lat,
            raised_at=now.isoformat(),
            public=True,
        ),
    )
    audit.record(
        db_session,
        actor=None,
        action="sensing.alarm_raised",
        object_type="sensing.Alarm",
        object_id=str(alarm.id),
        detail={"rule_id": rule.id, "datastream_id": ds_id, "value": value},
    )
    return alarm


def repeat(db_session: Session, alarm: m.Alarm, value: float) -> None:
    now = utcnow()
    alarm.repeats += 1
    alarm.last_value = value
    if now - alarm.last_at >= REPEAT_EVERY:
        alarm.last_at = now
        publish(
            db_session,
            AlarmRepeated(alarm_id=alarm.id, value=value, at=now.isoformat(), public=True),
        )


def clear(db_session: Session, alarm: m.Alarm, value: float) -> None:
    now = utcnow()
    alarm.state = "cleared"
    alarm.cleared_at = now
    alarm.last_value = value
    db_session.flush()
    publish(
        db_session,
        AlarmCleared(alarm_id=alarm.id, value=value, cleared_at=now.isoformat(), public=True),
    )
    audit.record(
        db_session,
        actor=None,
        action="sensing.alarm_cleared",
        object_type="sensing.Alarm",
        object_id=str(alarm.id),
        detail={"value": value},
    )


def check_no_data(db_session: Session, now_ms: int) -> int:
    """Raise ``no_data`` alarms for datastreams silent longer than their rule allows."""
    raised = 0
    rules = db_session.scalars(
        select(m.AlarmRule).where(m.AlarmRule.kind == "no_data", m.AlarmRule.enabled.is_(True))
    ).all()
    for rule in rules:
        minutes = float(json.loads(rule.params)["minutes"])
        stmt = select(m.Datastream)
        if rule.datastream_id is not None:
            stmt = stmt.where(m.Datastream.id == rule.datastream_id)
        else:
            stmt = stmt.where(m.Datastream.observed_property_id == rule.observed_property_id)
        for ds in db_session.scalars(stmt):
            if ds.last_received_ms is None:
                continue
            silent = (now_ms - ds.last_received_ms) / 60_000
            if silent < minutes:
                continue
            active = db_session.scalar(
                select(m.Alarm.id).where(
                    m.Alarm.rule_id == rule.id,
                    m.Alarm.datastream_id == ds.id,
                    m.Alarm.state == "active",
                )
            )
            if active is None:
                raise_alarm(db_session, rule, ds.id, round(silent, 1))
                raised += 1
    return raised
