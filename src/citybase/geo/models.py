"""Areas (one table for all three levels) and grid workers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citybase.db import Base, UTCDateTime, utcnow
from citybase.identity.models import User


class Area(Base):
    """A district, street or grid polygon. ``geometry`` is the GeoJSON geometry as text.

    The bounding box columns let SQL narrow a search without parsing geometry; ``area_m2``
    is computed at import (local equirectangular projection, see docs/geo.md).
    """

    __tablename__ = "geo_area"
    __table_args__ = (CheckConstraint("level IN ('district', 'street', 'grid')", name="level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("geo_area.id", ondelete="RESTRICT"), index=True
    )
    geometry: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    area_m2: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Indexed: max(updated_at) keys the spatial-index cache on every locate.
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id], lazy="select")

    @property
    def parent_code(self) -> str | None:
        return self.parent.code if self.parent is not None else None

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)


class GeoState(Base):
    """One row: a version counter bumped by every import that changes an area.

    Imports first lock this row, so concurrent imports run one after the other; the version
    (with max(id) and max(updated_at) of the areas) keys the in-process spatial index cache,
    so every process notices a change on its next lookup.
    """

    __tablename__ = "geo_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class GridWorker(Base):
    """A grid worker (网格员) assigned to one grid; optionally linked to a platform account."""

    __tablename__ = "geo_grid_worker"
    __table_args__ = (UniqueConstraint("grid_id", "mobile"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("geo_area.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    grid: Mapped[Area] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(lazy="joined")
