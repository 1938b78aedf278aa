"""Stored assessments (one per city per period), peer-city values, and 4A outlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybase.db import Base, UTCDateTime, utcnow


class Assessment(Base):
    """One evaluation cycle of one city: the request as given and the full result JSON.

    ``bte_index`` and the axis columns repeat the result's headline numbers so that lists and
    trends need not parse every result.
    """

    __tablename__ = "assess_assessment"
    __table_args__ = (UniqueConstraint("city_code", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_code: Mapped[str] = mapped_column(String(64), index=True)
    city_name: Mapped[str] = mapped_column(String(200), default="")
    period: Mapped[str] = mapped_column(String(16), index=True)
    framework_id: Mapped[str] = mapped_column(String(64))
    framework_version: Mapped[str] = mapped_column(String(32))
    live: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    bte_index: Mapped[float | None] = mapped_column(Float, nullable=True)
    axis_b: Mapped[float | None] = mapped_column(Float, nullable=True)
    axis_t: Mapped[float | None] = mapped_column(Float, nullable=True)
    axis_e: Mapped[float | None] = mapped_column(Float, nullable=True)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_name: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PeerCity(Base):
    """A peer city's indicator values for one period (entered, never measured live)."""

    __tablename__ = "assess_peer"
    __table_args__ = (UniqueConstraint("code", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    period: Mapped[str] = mapped_column(String(16), index=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Architecture(Base):
    """A domain's 4A outline (BA, IA, AA, TA) for a city, as generated and then edited."""

    __tablename__ = "assess_architecture"
    __table_args__ = (UniqueConstraint("city_code", "domain"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_code: Mapped[str] = mapped_column(String(64), index=True)
    domain: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    edited_by_name: Mapped[str] = mapped_column(String(64), default="system")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
