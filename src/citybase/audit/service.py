"""Audit service: record, query and verify the hash-chained log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, SessionTransaction

from citybase.audit.context import request_id_var
from citybase.audit.models import AuditHead, AuditRecord
from citybase.db import utcnow
from citybase.errors import PermissionDenied

if TYPE_CHECKING:
    from citybase.identity.models import User

GENESIS_HASH = "0" * 64
#: Lanes the migration creates. Each is its own chain; on SQLite only lane 1 is used.
LANES = 16
_LANE_INFO = "citybase_audit_lane"


def genesis_hash(lane: int) -> str:
    """The ``prev_hash`` of a lane's first record: distinct per lane, so a record moved to
    another lane no longer links."""
    if lane == 1:
        return GENESIS_HASH
    return hashlib.sha256(f"citybase-audit-lane-{lane}".encode()).hexdigest()


def _canonical(rec: AuditRecord) -> bytes:
    at = rec.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = [
        rec.seq,
        at,
        rec.actor_id,
        rec.actor_name,
        rec.department_code,
        rec.action,
        rec.object_type,
        rec.object_id,
        rec.purpose,
        rec.request_id,
        rec.detail,
        rec.prev_hash,
    ]
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(rec: AuditRecord) -> str:
    return hashlib.sha256(_canonical(rec)).hexdigest()


def _take_lane(db_session: Session) -> tuple[int, int, str]:
    """Lock a lane for this transaction: (lane, its last seq, its last hash).

    PostgreSQL: the lane this transaction already holds, else any lane no other
    transaction holds (``SKIP LOCKED``), else wait for one at random. SQLite: lane 1,
    updated first so the statement takes the database's write lock before reading.
    """
    if db_session.get_bind().dialect.name != "postgresql":
        lite = db_session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(seq=AuditHead.seq)
            .returning(AuditHead.id, AuditHead.seq, AuditHead.last_hash)
        ).one()
        return int(lite[0]), int(lite[1]), str(lite[2])
    held = db_session.info.get(_LANE_INFO)
    stmt = select(AuditHead.id, AuditHead.seq, AuditHead.last_hash)
    row: Any = None
    if held is not None:
        row = db_session.execute(stmt.where(AuditHead.id == held).with_for_update()).first()
    if row is None:
        row = db_session.execute(
            stmt.order_by(func.random()).limit(1).with_for_update(skip_locked=True)
        ).first()
    if row is None:  # every lane busy: queue behind one
        lane = secrets.randbelow(LANES) + 1
        row = db_session.execute(stmt.where(AuditHead.id == lane).with_for_update()).one()
    db_session.info[_LANE_INFO] = int(row[0])
    return int(row[0]), int(row[1]), str(row[2])


@event.listens_for(Session, "after_transaction_end")
def _forget_lane(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_LANE_INFO, None)


def record(
    db_session: Session,
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: str,
    purpose: str | None = None,
    detail: dict[str, Any] | None = None,
    department_code: str | None = None,
) -> AuditRecord:
    """Append one record to a lane of the chain inside the caller's transaction.

    The lane's head row stays locked until the transaction ends, so its chain never forks;
    other transactions append to other lanes meanwhile.
    """
    lane, last_seq, last_hash = _take_lane(db_session)
    now = utcnow()
    rec = AuditRecord(
        lane=lane,
        seq=last_seq + 1,
        at=now,
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else "system",
        department_code=department_code
        if department_code is not None
        else (actor.department_code if actor is not None else None),
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:200],
        purpose=purpose,
        request_id=request_id_var.get(),
        detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
        prev_hash=last_hash,
    )
    rec.hash = compute_hash(rec)
    db_session.add(rec)
    db_session.execute(
        update(AuditHead).where(AuditHead.id == lane).values(seq=rec.seq, last_hash=rec.hash)
    )
    return rec


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    reason: str | None = None
    lane: int | None = None
    lanes: int = 0


def _verify_lane(
    db_session: Session, lane: int, head_seq: int, head_hash: str, batch: int
) -> VerifyResult:
    prev_hash = genesis_hash(lane)
    expected_seq = 1
    checked = 0
    last_id = -1
    while True:
        rows = list(
            db_session.scalars(
                select(AuditRecord)
                .where(
                    AuditRecord.lane == lane,
                    AuditRecord.seq > expected_seq - 1,
                    AuditRecord.seq <= head_seq,
                )
                .order_by(AuditRecord.seq)
                .limit(batch)
            )
        )
        if not rows:
            break
        for rec in rows:
            reason = None
            if rec.seq != expected_seq:
                reason = f"record(s) missing before sequence {rec.seq} (expected {expected_seq})"
            elif rec.prev_hash != prev_hash:
                reason = "its link to the previous record is broken (deleted or reordered)"
            elif compute_hash(rec) != rec.hash:
                reason = "its contents do not match its hash (altered)"
            elif rec.id <= last_id:
                reason = "records are out of order (reordered)"
            if reason:
                return VerifyResult(False, checked, rec.seq, rec.id, reason, lane)
            prev_hash = rec.hash
            expected_seq += 1
            last_id = rec.id
            checked += 1
        db_session.expunge_all()
    if head_seq != checked or head_hash != prev_hash:
        return VerifyResult(
            False,
            checked,
            checked + 1,
            None,
            f"lane {lane} ends at sequence {checked} but its head says {head_seq}: "
            "records were removed from the end",
            lane,
        )
    # Records appended while we walked are past the head we read; a committed record is
    # never past its lane's current head (both are written in one transaction).
    now_head = db_session.scalar(select(AuditHead.seq).where(AuditHead.id == lane)) or 0
    beyond = db_session.scalar(
        select(func.min(AuditRecord.seq)).where(
            AuditRecord.lane == lane, AuditRecord.seq > now_head
        )
    )
    if beyond is not None:
        return VerifyResult(
            False,
            checked,
            int(beyond),
            None,
            f"lane {lane} holds records past its head (sequence {now_head}): "
            "appended outside citybase",
            lane,
        )
    return VerifyResult(True, checked, lane=lane)


def verify(*, db_session: Session, batch: int = 5000) -> VerifyResult:
    """Walk every lane in sequence order; name the first record that does not fit.

    Each lane is walked up to the head read first, so records appended meanwhile (other
    lanes keep taking writes) neither break nor join the walk.
    """
    heads = db_session.execute(
        select(AuditHead.id, AuditHead.seq, AuditHead.last_hash).order_by(AuditHead.id)
    ).all()
    lanes = {int(h[0]) for h in heads}
    stray = db_session.scalar(select(AuditRecord.id).where(AuditRecord.lane.notin_(lanes)).limit(1))
    if stray is not None:
        return VerifyResult(
            False, 0, None, stray, "a record sits in a lane that has no head (moved or forged)"
        )
    checked = 0
    for lane, head_seq, head_hash in heads:
        result = _verify_lane(db_session, int(lane), int(head_seq), str(head_hash), batch)
        checked += result.checked
        if not result.ok:
            result.checked = checked
            result.lanes = len(heads)
            return result
    return VerifyResult(True, checked, lanes=len(heads))


def query(
    *,
    db_session: Session,
    viewer: User,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    max_limit: int = 1000,
) -> list[AuditRecord]:
    """Records newest first (by ``id``, across lanes); keyset paging with ``before_id``;
    ``since`` ≤ ``at`` < ``until``. Platform admins see all; department admins their
    department's. ``max_limit`` caps ``limit`` (exports ask for more than a page)."""
    from citybase.identity.enums import Role

    stmt = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(min(limit, max_limit))
    if viewer.role != Role.platform_admin:
        if viewer.role != Role.dept_admin:
            raise PermissionDenied("Only administrators may read the audit log.")
        stmt = stmt.where(AuditRecord.department_code == viewer.department_code)
    if object_type:
        stmt = stmt.where(AuditRecord.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditRecord.object_id == object_id)
    if actor:
        stmt = stmt.where(AuditRecord.actor_name == actor)
    if action:
        stmt = stmt.where(AuditRecord.action == action)
    if before_id:
        stmt = stmt.where(AuditRecord.id < before_id)
    if since is not None:
        stmt = stmt.where(AuditRecord.at >= since)
    if until is not None:
        stmt = stmt.where(AuditRecord.at < until)
    return list(db_session.scalars(stmt))


def recent_actions(*, db_session: Session, viewer: User, scan: int = 5000) -> list[str]:
    """The action codes among the latest ``scan`` records the viewer may read, for a filter
    list (bounded: the audit log grows without end)."""
    rows = query(db_session=db_session, viewer=viewer, limit=scan, max_limit=scan)
    return sorted({r.action for r in rows})
