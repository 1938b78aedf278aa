"""Audit service: record, query and verify the hash-chained log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from citybase.audit.context import request_id_var
from citybase.audit.models import AuditHead, AuditRecord
from citybase.db import utcnow
from citybase.errors import PermissionDenied

if TYPE_CHECKING:
    from citybase.identity.models import User

GENESIS_HASH = "0" * 64


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
    """Append one record to the chain inside the caller's transaction.

    The head row is updated first: on PostgreSQL this row lock, on SQLite the write lock,
    serialises concurrent writers so the chain never forks.
    """
    db_session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    head = db_session.execute(
        select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one()
    now = utcnow()
    rec = AuditRecord(
        seq=head.seq,
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
        prev_hash=head.last_hash,
    )
    rec.hash = compute_hash(rec)
    db_session.add(rec)
    db_session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=rec.hash))
    return rec


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    reason: str | None = None


def verify(*, db_session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain in sequence order; name the first record that does not fit."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_id = -1
    while True:
        rows = list(
            db_session.scalars(
                select(AuditRecord)
                .where(AuditRecord.seq > expected_seq - 1)
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
                return VerifyResult(False, checked, rec.seq, rec.id, reason)
            prev_hash = rec.hash
            expected_seq += 1
            last_id = rec.id
            checked += 1
        db_session.expunge_all()
    head = db_session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.last_hash != prev_hash):
        return VerifyResult(
            False,
            checked,
            checked + 1,
            None,
            f"the chain ends at sequence {checked} but the head says {head.seq}: "
            "records were removed from the end",
        )
    return VerifyResult(True, checked)


def query(
    *,
    db_session: Session,
    viewer: User,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> list[AuditRecord]:
    """Records newest first. Platform admins see all; department admins their department's."""
    from citybase.identity.enums import Role

    stmt = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(min(limit, 1000))
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
    if before_seq:
        stmt = stmt.where(AuditRecord.seq < before_seq)
    return list(db_session.scalars(stmt))
