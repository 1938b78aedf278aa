"""Alarm rules as data: create, change, delete (platform admins; audited), list alarms,
and the dry run over stored observations."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybase.audit import service as audit
from citybase.db import utcnow
from citybase.errors import NotFound, ValidationFailed
from citybase.identity.models import User
from citybase.sensing import models as m
from citybase.sensing.alarms.rules import Machine, check_params, classify
from citybase.sensing.sta.entities import ms_to_iso

DRY_RUN_MAX_ROWS = 5_000_000


def rule_doc(rule: m.AlarmRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "kind": rule.kind,
        "category": rule.category,
        "datastream_id": rule.datastream_id,
        "observed_property_id": rule.observed_property_id,
        "params": json.loads(rule.params),
        "debounce": rule.debounce,
        "enabled": rule.enabled,
    }


def alarm_doc(alarm: m.Alarm) -> dict[str, Any]:
    return {
        "id": alarm.id,
        "rule_id": alarm.rule_id,
        "datastream_id": alarm.datastream_id,
        "state": alarm.state,
        "kind": alarm.kind,
        "message": alarm.message,
        "first_value": alarm.first_value,
        "last_value": alarm.last_value,
        "repeats": alarm.repeats,
        "raised_at": alarm.raised_at.isoformat(),
        "cleared_at": alarm.cleared_at.isoformat() if alarm.cleared_at else None,
    }


def _validate(db_session: Session, body: Any, rule: m.AlarmRule | None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed("The body must be a JSON object.", field="body")
    merged: dict[str, Any] = (
        rule_doc(rule)
        if rule is not None
        else {"debounce": 1, "enabled": True, "datastream_id": None, "observed_property_id": None}
    )
    unknown = set(body) - {
        "name",
        "kind",
        "category",
        "datastream_id",
        "observed_property_id",
        "params",
        "debounce",
        "enabled",
    }
    if unknown:
        raise ValidationFailed(
            f"{sorted(unknown)[0]}: not a field of an alarm rule.", field=sorted(unknown)[0]
        )
    merged.update(body)
    for key in ("name", "category"):
        if not isinstance(merged.get(key), str) or not merged[key].strip():
            raise ValidationFailed(f"{key} is required (text).", field=key)
    merged["params"] = check_params(str(merged.get("kind")), merged.get("params"))
    ds, prop = merged.get("datastream_id"), merged.get("observed_property_id")
    if (ds is None) == (prop is None):
        raise ValidationFailed(
            "Give exactly one of datastream_id and observed_property_id.", field="datastream_id"
        )
    if ds is not None and (not isinstance(ds, int) or db_session.get(m.Datastream, ds) is None):
        raise NotFound(f"datastream_id: Datastream {ds!r} does not exist.", field="datastream_id")
    if prop is not None and (
        not isinstance(prop, int) or db_session.get(m.ObservedProperty, prop) is None
    ):
        raise NotFound(
            f"observed_property_id: ObservedProperty {prop!r} does not exist.",
            field="observed_property_id",
        )
    deb = merged.get("debounce")
    if not isinstance(deb, int) or isinstance(deb, bool) or not 1 <= deb <= 1000:
        raise ValidationFailed("debounce must be a whole number from 1 to 1000.", field="debounce")
    if not isinstance(merged.get("enabled"), bool):
        raise ValidationFailed("enabled must be true or false.", field="enabled")
    return merged


def _apply(rule: m.AlarmRule, data: dict[str, Any]) -> None:
    rule.name, rule.kind, rule.category = data["name"], data["kind"], data["category"]
    rule.datastream_id, rule.observed_property_id = (
        data["datastream_id"],
        data["observed_property_id"],
    )
    rule.params = json.dumps(data["params"])
    rule.debounce, rule.enabled = data["debounce"], data["enabled"]
    rule.updated_at = utcnow()


def create_rule(db_session: Session, *, actor: User, body: Any) -> m.AlarmRule:
    data = _validate(db_session, body, None)
    rule = m.AlarmRule()
    _apply(rule, data)
    db_session.add(rule)
    db_session.flush()
    audit.record(
        db_session,
        actor=actor,
        action="sensing.rule_create",
        object_type="sensing.AlarmRule",
        object_id=str(rule.id),
        detail=body,
    )
    return rule


def get_rule(db_session: Session, rule_id: int) -> m.AlarmRule:
    rule = db_session.get(m.AlarmRule, rule_id)
    if rule is None:
        raise NotFound(f"Alarm rule {rule_id} does not exist.", field="rule_id")
    return rule


def update_rule(db_session: Session, *, actor: User, rule_id: int, body: Any) -> m.AlarmRule:
    rule = get_rule(db_session, rule_id)
    _apply(rule, _validate(db_session, body, rule))
    db_session.flush()
    audit.record(
        db_session,
        actor=actor,
        action="sensing.rule_update",
        object_type="sensing.AlarmRule",
        object_id=str(rule.id),
        detail=body if isinstance(body, dict) else None,
    )
    return rule


def delete_rule(db_session: Session, *, actor: User, rule_id: int) -> None:
    rule = get_rule(db_session, rule_id)
    db_session.delete(rule)
    db_session.flush()
    audit.record(
        db_session,
        actor=actor,
        action="sensing.rule_delete",
        object_type="sensing.AlarmRule",
        object_id=str(rule_id),
    )


def list_alarms(db_session: Session, *, state: str | None, limit: int = 200) -> list[m.Alarm]:
    stmt = select(m.Alarm).order_by(m.Alarm.raised_at.desc(), m.Alarm.id.desc()).limit(limit)
    if state is not None:
        if state not in ("active", "cleared"):
            raise ValidationFailed("state must be active or cleared.", field="state")
        stmt = stmt.where(m.Alarm.state == state)
    return list(db_session.scalars(stmt))


def dry_run(db_session: Session, *, body: Any, start_ms: int, end_ms: int) -> dict[str, Any]:
    """Replay a rule (saved or not) over stored observations: the episodes it would raise."""
    data = _validate(db_session, body, None)
    if data["kind"] == "no_data":
        raise ValidationFailed(
            "A dry run replays values; no_data rules are not replayable.", field="kind"
        )
    if data["datastream_id"] is not None:
        ds_ids = [data["datastream_id"]]
    else:
        ds_ids = list(
            db_session.scalars(
                select(m.Datastream.id).where(
                    m.Datastream.observed_property_id == data["observed_property_id"]
                )
            )
        )
    episodes: list[dict[str, Any]] = []
    rows = 0
    for ds_id in ds_ids:
        machine = Machine(data["debounce"])
        last_v: float | None = None
        last_t: int | None = None
        current: dict[str, Any] | None = None
        stmt = (
            select(m.Observation.phenomenon_ms, m.Observation.result_number)
            .where(
                m.Observation.datastream_id == ds_id,
                m.Observation.phenomenon_ms >= start_ms,
                m.Observation.phenomenon_ms < end_ms,
                m.Observation.result_number.is_not(None),
            )
            .order_by(m.Observation.phenomenon_ms)
        )
        for t, raw in db_session.execute(stmt.execution_options(yield_per=10_000)):
            v = float(raw or 0.0)  # NULLs are filtered out in SQL
            rows += 1
            if rows > DRY_RUN_MAX_ROWS:
                raise ValidationFailed(
                    "The dry run covers too many observations; shorten the period.", field="start"
                )
            action = machine.step(
                classify(data["kind"], data["params"], v, t, last_v, last_t, machine.active)
            )
            last_v, last_t = v, t
            if action == "raise":
                current = {
                    "datastream_id": ds_id,
                    "raised_at": ms_to_iso(t),
                    "value": v,
                    "peak": v,
                    "cleared_at": None,
                }
                episodes.append(current)
            elif current is not None and action == "repeat":
                current["peak"] = (
                    max(current["peak"], v) if v >= current["value"] else min(current["peak"], v)
                )
            elif current is not None and action == "clear":
                current["cleared_at"] = ms_to_iso(t)
                current = None
    return {"observations": rows, "episodes": len(episodes), "first": episodes[:50]}
