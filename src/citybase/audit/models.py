from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybase.db import Base, UTCDateTime


class AuditRecord(Base):
    """One audited act. Never updated or deleted by citybase; ``hash`` chains the records."""

    __tablename__ = "audit_record"
    __table_args__ = (Index("ix_audit_record_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
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
    """One row: the chain's last sequence number and hash.

    Updating it first thing in ``record`` takes a write lock on every backend, so two
    transactions can never both extend the chain from the same record; keeping the last
    hash here also lets ``verify`` notice records cut off the end of the chain.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
