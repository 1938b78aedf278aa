from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybase.db import Base, UTCDateTime


class AuditRecord(Base):
    """One audited act. Never updated or deleted by citybase; ``hash`` chains the records.

    Records are appended to one of several *lanes*, each its own hash chain (``lane``,
    ``seq`` within the lane, ``prev_hash``): concurrent writers take different lanes, so
    they do not queue behind one row. ``id`` orders all records across lanes.
    """

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_object", "object_type", "object_id"),
        UniqueConstraint("lane", "seq"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    lane: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(64), default="system")
    department_code: Mapped[str | None] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(500))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row per lane (``id`` is the lane): its last sequence number and hash.

    ``record`` locks one lane's row for its transaction (on PostgreSQL the first one no
    other transaction holds, ``FOR UPDATE SKIP LOCKED``; on SQLite, where one writer holds
    the database at a time, lane 1), so two transactions never extend a lane from the same
    record; the last hash here also lets ``verify`` notice records cut off a lane's end.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
