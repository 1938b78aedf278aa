"""Sharing's tables: requests, grants, the subject-access ledger and citizens' links.

The ledger never holds an ID number: ``SubjectToken.token`` and ``CitizenLink.token`` are
keyed HMAC tokens under the tracker's own key id (see ``tracker.py``). Small reads keep their
tokens in ``sharing_access_subject``; large ones (downloads) in one Parquet file per read,
named by ``SubjectAccess.ledger_file`` and matched through ``SubjectAccess.ref`` — so a file
left behind by a rolled-back transaction matches no read and is ignored.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citybase.datahub.models import Dataset
from citybase.db import Base, UTCDateTime, utcnow
from citybase.identity.models import Department

STATUSES = "'pending', 'granted', 'rejected', 'refused', 'withdrawn'"


class SharingRequest(Base):
    """A department's request to read another department's dataset (共享申请)."""

    __tablename__ = "sharing_request"
    __table_args__ = (CheckConstraint(f"status IN ({STATUSES})", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("identity_department.id", ondelete="RESTRICT"), index=True
    )
    requested_by_name: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(String(500))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    columns: Mapped[str] = mapped_column(Text, default="null")  # JSON list, null: all
    row_filter: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of RowFilter
    clear_columns: Mapped[str] = mapped_column(Text, default="{}")  # JSON {column: reason}
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_by_name: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    dataset: Mapped[Dataset] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")


class SharingGrant(Base):
    """What a department may read of a dataset, until when, and how it is de-identified."""

    __tablename__ = "sharing_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_request.id", ondelete="CASCADE"), unique=True
    )
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datahub_dataset.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("identity_department.id", ondelete="RESTRICT"), index=True
    )
    columns: Mapped[str] = mapped_column(Text)  # JSON list of granted columns
    row_filter: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of RowFilter
    clear_columns: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    deid_policy: Mapped[str] = mapped_column(Text, default="{}")  # JSON DeidPolicy columns
    key_id: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(String(500))
    granted_by_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_by_name: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    dataset: Mapped[Dataset] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")
    request: Mapped[SharingRequest] = relationship(lazy="joined")


class SubjectAccess(Base):
    """One staff read of rows about personal subjects (the data tracker's line)."""

    __tablename__ = "sharing_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    department_code: Mapped[str | None] = mapped_column(String(32))
    department_name: Mapped[str] = mapped_column(String(200), default="")
    user_name: Mapped[str] = mapped_column(String(64))
    dataset_name: Mapped[str] = mapped_column(String(100))
    dataset_title: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(BigInteger)
    subjects: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(String(500), default="")
    grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_grant.id", ondelete="SET NULL"), index=True
    )
    ledger_file: Mapped[str | None] = mapped_column(String(300))
    key_id: Mapped[str] = mapped_column(String(16))


class SubjectToken(Base):
    """One subject of a small read, by keyed token."""

    __tablename__ = "sharing_access_subject"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_access.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(64), index=True)


class CitizenLink(Base):
    """A citizen account linked to the token of its holder's ID number (never the number)."""

    __tablename__ = "sharing_citizen_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), unique=True
    )
    token: Mapped[str] = mapped_column(String(64), index=True)
    linked_by_name: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
