"""One-stop services' tables: applications (办件), e-certificates (电子证照), bundles (一件事)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybase.db import Base, UTCDateTime, utcnow


class ServiceApplication(Base):
    """An application for one item. ``status`` mirrors its workflow state (``draft`` before
    it is submitted: evidence fetched for the applicant's preview, not yet used)."""

    __tablename__ = "services_application"
    __table_args__ = (
        Index("ix_services_application_applicant_item", "applicant_id", "item_code", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_code: Mapped[str] = mapped_column(String(40), index=True)
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("identity_user.id", ondelete="RESTRICT"), index=True
    )
    applicant_name: Mapped[str] = mapped_column(String(200))
    id_number: Mapped[str | None] = mapped_column(String(32))
    uscc: Mapped[str | None] = mapped_column(String(32))
    bundle_id: Mapped[int | None] = mapped_column(
        ForeignKey("services_bundle_application.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(32), index=True)
    decision: Mapped[str | None] = mapped_column(String(32), index=True)
    instant: Mapped[bool] = mapped_column(Boolean, default=False)  # decided by rules at once
    rule_version: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(Text, default="{}")  # decision, trace, legal_basis
    form: Mapped[str] = mapped_column(Text, default="{}")
    evidence: Mapped[str] = mapped_column(Text, default="[]")  # fetched pieces and consent
    uploads: Mapped[str] = mapped_column(Text, default="[]")  # material keys to upload
    asked: Mapped[int] = mapped_column(Integer, default=0)  # materials asked of the applicant
    needed: Mapped[int] = mapped_column(Integer, default=0)  # materials the item needs
    deadline: Mapped[str | None] = mapped_column(Text)  # the promised limit (worktime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    note: Mapped[str] = mapped_column(Text, default="")  # officer's reason / 补正 request
    decided_by_name: Mapped[str | None] = mapped_column(String(64))
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Certificate(Base):
    """An e-certificate issued on an approved application: the signed token and its state."""

    __tablename__ = "services_certificate"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(40), index=True)
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("services_application.id", ondelete="RESTRICT"), index=True
    )
    holder_id: Mapped[int] = mapped_column(
        ForeignKey("identity_user.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(Text)  # payload.signature, what the QR code carries
    key_id: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_name: Mapped[str | None] = mapped_column(String(64))


class BundleApplication(Base):
    """One 一件事 form, fanned out to several items' applications."""

    __tablename__ = "services_bundle_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_code: Mapped[str] = mapped_column(String(40), index=True)
    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("identity_user.id", ondelete="RESTRICT"), index=True
    )
    form: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApplicantProfile(Base):
    """The applicant account's real-name details (实名认证): the ID number or USCC the
    account may apply for, fixed at the first application and never changed by a form."""

    __tablename__ = "services_applicant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), unique=True
    )
    id_number: Mapped[str | None] = mapped_column(String(32))
    uscc: Mapped[str | None] = mapped_column(String(32))
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
