"""The sensing domain's door: SensorThings writes (audited), dataArray batches, status.

Other domains (the dashboard) call ``status_summary``; the HTTP layer and the MQTT ingest
call the write functions. Callers commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from citybase.audit import service as audit
from citybase.errors import NotFound, PermissionDenied, ValidationFailed
from citybase.identity.enums import Role
from citybase.identity.models import User
from citybase.sensing import models as m
from citybase.sensing.config import sensing_settings
from citybase.sensing.sta import write
from citybase.sensing.sta.entities import ENTITY_SETS, EntitySet
from citybase.sensing.store import NewObservation, insert_observations, now_ms, parse_time

WRITER_ROLES = {Role.platform_admin, Role.dept_admin, Role.data_steward}


def thing_department(db_session: Session, es: EntitySet, ident: int) -> str | None:
    """The department owning the Thing behind a Thing, Datastream or Observation."""
    if es.name == "Things":
        return db_session.scalar(select(m.Thing.department_code).where(m.Thing.id == ident))
    if es.name == "Datastreams":
        return db_session.scalar(
            select(m.Thing.department_code)
            .join(m.Datastream, m.Datastream.thing_id == m.Thing.id)
            .where(m.Datastream.id == ident)
        )
    if es.name == "Observations":
        return db_session.scalar(
            select(m.Thing.department_code)
            .join(m.Datastream, m.Datastream.thing_id == m.Thing.id)
            .join(m.Observation, m.Observation.datastream_id == m.Datastream.id)
            .where(m.Observation.id == ident)
        )
    return None


def check_writer(user: User, department: str | None = None) -> None:
    if user.role == Role.platform_admin:
        return
    if user.role not in WRITER_ROLES:
        raise PermissionDenied(
            "Changing sensors needs the role platform_admin, dept_admin or data_steward; "
            f"you are '{user.role}'."
        )
    if department is not None and department != user.department_code:
        raise PermissionDenied(
            f"This sensor belongs to department {department}; you may change only "
            f"{user.department_code}'s sensors."
        )


def create(
    db_session: Session, *, actor: User, es: EntitySet, body: Any, parent: dict[str, int]
) -> int:
    for key, ident in parent.items():
        check_writer(actor, thing_department(db_session, ENTITY_SETS[_plural(key)], ident))
    if es.name in ("Observations", "Datastreams") and isinstance(body, dict):
        for key in ("Datastream", "Thing"):
            link = body.get(key)
            if isinstance(link, dict) and isinstance(link.get("@iot.id"), int):
                check_writer(
                    actor, thing_department(db_session, ENTITY_SETS[_plural(key)], link["@iot.id"])
                )
    check_writer(actor)
    writer = write.Writer(db_session)
    ident = writer.create(es, body, parent)
    if es.name == "Things" and actor.role != Role.platform_admin:
        row = db_session.get(m.Thing, ident)
        assert row is not None
        row.department_code = actor.department_code
    for set_name, created_id in writer.created:
        if set_name == "Things" and isinstance(body, dict) and es.name == "Things":
            dept = body.get("properties", {}) if isinstance(body.get("properties"), dict) else {}
            if actor.role == Role.platform_admin and isinstance(dept.get("department"), str):
                thing = db_session.get(m.Thing, created_id)
                assert thing is not None
                thing.department_code = dept["department"]
        _audit(db_session, actor, "sensing.create", ENTITY_SETS[set_name], created_id)
    return ident


def _plural(singular: str) -> str:
    return next(es.name for es in ENTITY_SETS.values() if es.singular == singular)


def _audit(
    db_session: Session,
    actor: User | None,
    action: str,
    es: EntitySet,
    ident: int,
    detail: dict[str, Any] | None = None,
) -> None:
    if es.name == "Observations":
        return  # observations are measurements, not configuration: not audited
    audit.record(
        db_session,
        actor=actor,
        action=action,
        object_type=f"sensing.{es.singular}",
        object_id=str(ident),
        detail=detail,
    )


def update(db_session: Session, *, actor: User, es: EntitySet, ident: int, body: Any) -> Any:
    check_writer(actor, thing_department(db_session, es, ident))
    row = write.update(db_session, es, ident, body)
    db_session.flush()
    fields = sorted(body) if isinstance(body, dict) else []
    _audit(db_session, actor, "sensing.update", es, ident, {"fields": fields})
    return row


def delete_entity(db_session: Session, *, actor: User, es: EntitySet, ident: int) -> None:
    check_writer(actor, thing_department(db_session, es, ident))
    row = db_session.get(es.model, ident)
    if row is None:
        raise NotFound(f"{es.singular} {ident} does not exist.", field="@iot.id")
    if es.name == "Datastreams":
        db_session.execute(delete(m.Observation).where(m.Observation.datastream_id == ident))
        db_session.execute(delete(m.Rollup).where(m.Rollup.datastream_id == ident))
    db_session.delete(row)
    db_session.flush()
    _audit(db_session, actor, "sensing.delete", es, ident)


def create_observations(db_session: Session, *, actor: User, body: Any) -> list[int]:
    """The dataArray extension: ``[{Datastream, components, dataArray}, …]``, all or nothing."""
    if not isinstance(body, list):
        raise ValidationFailed(
            "CreateObservations takes a JSON array of {Datastream, components, dataArray}.",
            field="body",
        )
    batch: list[NewObservation] = []
    for gi, group in enumerate(body):
        where = f"[{gi}]"
        if not isinstance(group, dict):
            raise ValidationFailed(f"{where} must be an object.", field=where)
        link = group.get("Datastream")
        if not isinstance(link, dict) or not isinstance(link.get("@iot.id"), int):
            raise ValidationFailed(
                f'{where}.Datastream must be {{"@iot.id": n}}.', field=f"{where}.Datastream"
            )
        ds_id = link["@iot.id"]
        if db_session.get(m.Datastream, ds_id) is None:
            raise NotFound(
                f"{where}.Datastream: Datastream {ds_id} does not exist.",
                field=f"{where}.Datastream",
            )
        check_writer(actor, thing_department(db_session, ENTITY_SETS["Datastreams"], ds_id))
        comps = group.get("components")
        if not isinstance(comps, list) or "result" not in comps:
            raise ValidationFailed(
                f"{where}.components must list the columns and include 'result'.",
                field=f"{where}.components",
            )
        allowed = {
            "phenomenonTime",
            "result",
            "resultTime",
            "FeatureOfInterest/id",
            "resultQuality",
            "parameters",
        }
        unknown = [c for c in comps if c not in allowed]
        if unknown:
            raise ValidationFailed(
                f"{where}.components: unknown {unknown[0]!r} (allowed: "
                f"{', '.join(sorted(allowed))}).",
                field=f"{where}.components",
            )
        rows = group.get("dataArray")
        if not isinstance(rows, list):
            raise ValidationFailed(
                f"{where}.dataArray must be an array of arrays.", field=f"{where}.dataArray"
            )
        default_foi = (
            None
            if "FeatureOfInterest/id" in comps
            else (write.feature_for_datastream(db_session, ds_id))
        )
        pos = {c: i for i, c in enumerate(comps)}
        for ri, values in enumerate(rows):
            here = f"{where}.dataArray[{ri}]"
            if not isinstance(values, list) or len(values) != len(comps):
                raise ValidationFailed(f"{here} must have {len(comps)} values.", field=here)
            start, end = (
                parse_time(values[pos["phenomenonTime"]], f"{here}.phenomenonTime")
                if "phenomenonTime" in pos
                else (now_ms(), None)
            )
            result_ms = (
                parse_time(values[pos["resultTime"]], f"{here}.resultTime")[0]
                if "resultTime" in pos and values[pos["resultTime"]] is not None
                else None
            )
            foi = (
                values[pos["FeatureOfInterest/id"]]
                if "FeatureOfInterest/id" in pos
                else (default_foi)
            )
            batch.append(
                NewObservation(
                    ds_id,
                    start,
                    values[pos["result"]],
                    end,
                    result_ms,
                    values[pos["resultQuality"]] if "resultQuality" in pos else None,
                    values[pos["parameters"]] if "parameters" in pos else None,
                    foi,
                )
            )
    return insert_observations(db_session, batch)


def status_summary(db_session: Session) -> dict[str, Any]:
    """Sensors online / stale / alarming and active alarms by rule kind (for the dashboard).

    A datastream is *alarming* when it has an active alarm, *stale* when nothing arrived for
    ``CITYBASE_SENSING_STALE_MINUTES``, else *online*; a never-reporting one is stale."""
    stale_before = now_ms() - sensing_settings().stale_minutes * 60_000
    alarming = set(
        db_session.scalars(
            select(m.Alarm.datastream_id).where(m.Alarm.state == "active").distinct()
        )
    )
    online = stale = 0
    for ds_id, last in db_session.execute(select(m.Datastream.id, m.Datastream.last_received_ms)):
        if ds_id in alarming:
            continue
        if last is not None and last >= stale_before:
            online += 1
        else:
            stale += 1
    by_kind = dict(
        db_session.execute(
            select(m.Alarm.kind, func.count())
            .where(m.Alarm.state == "active")
            .group_by(m.Alarm.kind)
        ).all()
    )
    return {
        "datastreams": online + stale + len(alarming),
        "online": online,
        "stale": stale,
        "alarming": len(alarming),
        "active_alarms": sum(by_kind.values()),
        "active_alarms_by_kind": by_kind,
    }


def datastream_status(db_session: Session) -> dict[int, str]:
    stale_before = now_ms() - sensing_settings().stale_minutes * 60_000
    alarming = set(
        db_session.scalars(select(m.Alarm.datastream_id).where(m.Alarm.state == "active"))
    )
    out: dict[int, str] = {}
    for ds_id, last in db_session.execute(select(m.Datastream.id, m.Datastream.last_received_ms)):
        out[ds_id] = (
            "alarming"
            if ds_id in alarming
            else "online"
            if last is not None and last >= stale_before
            else "stale"
        )
    return out
