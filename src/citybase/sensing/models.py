"""Sensing's tables: the SensorThings configuration entities, observations, rollups, alarms.

Times of observations are stored as integer epoch milliseconds (UTC): one compact, indexable
representation that compares, buckets and sorts the same way on SQLite and PostgreSQL.
Geometries are GeoJSON text; points also keep ``lon``/``lat`` so SQL can filter on them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from citybase.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class _Config:
    """Columns every configuration entity has."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[str | None] = mapped_column(Text)  # JSON object
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Thing(_Config, Base):
    """A device or station (井盖倾角传感器, 空气监测站 …); ``department_code`` owns it."""

    __tablename__ = "sensing_thing"
    department_code: Mapped[str | None] = mapped_column(String(32), index=True)


class Location(_Config, Base):
    __tablename__ = "sensing_location"
    encoding_type: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(Text)  # GeoJSON geometry or feature
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)


thing_location = Table(
    "sensing_thing_location",
    Base.metadata,
    Column("thing_id", ForeignKey("sensing_thing.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "location_id",
        ForeignKey("sensing_location.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class HistoricalLocation(Base):
    __tablename__ = "sensing_historical_location"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thing_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_thing.id", ondelete="CASCADE"), index=True
    )
    time_ms: Mapped[int] = mapped_column(BigInteger)


historical_location_location = Table(
    "sensing_historical_location_location",
    Base.metadata,
    Column(
        "historical_location_id",
        ForeignKey("sensing_historical_location.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "location_id",
        ForeignKey("sensing_location.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Sensor(_Config, Base):
    __tablename__ = "sensing_sensor"
    encoding_type: Mapped[str] = mapped_column(String(100))
    sensor_metadata: Mapped[str] = mapped_column("metadata", Text)


class ObservedProperty(_Config, Base):
    __tablename__ = "sensing_observed_property"
    definition: Mapped[str] = mapped_column(String(500))


class Datastream(_Config, Base):
    __tablename__ = "sensing_datastream"
    observation_type: Mapped[str] = mapped_column(String(200))
    unit_of_measurement: Mapped[str] = mapped_column(Text)  # JSON {name, symbol, definition}
    thing_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_thing.id", ondelete="CASCADE"), index=True
    )
    sensor_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_sensor.id", ondelete="CASCADE"), index=True
    )
    observed_property_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_observed_property.id", ondelete="CASCADE"), index=True
    )
    # maintained by the observation store: the phenomenon time span and the latest value
    phenomenon_start_ms: Mapped[int | None] = mapped_column(BigInteger)
    phenomenon_end_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_value: Mapped[float | None] = mapped_column(Float)
    last_received_ms: Mapped[int | None] = mapped_column(BigInteger)


class FeatureOfInterest(_Config, Base):
    __tablename__ = "sensing_feature"
    encoding_type: Mapped[str] = mapped_column(String(100))
    feature: Mapped[str] = mapped_column(Text)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)


class Observation(Base):
    """One observation. Narrow on purpose: the (datastream, time) index serves every read."""

    __tablename__ = "sensing_observation"
    __table_args__ = (Index("ix_sensing_observation_ds_time", "datastream_id", "phenomenon_ms"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_datastream.id", ondelete="CASCADE")
    )
    phenomenon_ms: Mapped[int] = mapped_column(BigInteger)
    phenomenon_end_ms: Mapped[int | None] = mapped_column(BigInteger)
    result_time_ms: Mapped[int | None] = mapped_column(BigInteger)
    result_number: Mapped[float | None] = mapped_column(Float)
    result_json: Mapped[str | None] = mapped_column(Text)  # non-numeric results, as JSON
    result_quality: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[str | None] = mapped_column(Text)
    feature_id: Mapped[int | None] = mapped_column(
        ForeignKey("sensing_feature.id", ondelete="SET NULL"), index=True
    )


class Rollup(Base):
    """Minute, hour and day aggregates of numeric results, kept up to date on every insert."""

    __tablename__ = "sensing_rollup"
    __table_args__ = (CheckConstraint("grain IN ('minute', 'hour', 'day')", name="grain"),)

    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_datastream.id", ondelete="CASCADE"), primary_key=True
    )
    grain: Mapped[str] = mapped_column(String(8), primary_key=True)
    bucket_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)


class AlarmRule(Base):
    """An alarm rule (data, edited by admins). ``params`` is JSON, its keys depend on ``kind``."""

    __tablename__ = "sensing_alarm_rule"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('threshold', 'rate_of_change', 'no_data', 'out_of_range')", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(64))
    datastream_id: Mapped[int | None] = mapped_column(
        ForeignKey("sensing_datastream.id", ondelete="CASCADE"), index=True
    )
    observed_property_id: Mapped[int | None] = mapped_column(
        ForeignKey("sensing_observed_property.id", ondelete="CASCADE"), index=True
    )
    params: Mapped[str] = mapped_column(Text)
    debounce: Mapped[int] = mapped_column(Integer, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Alarm(Base):
    """One alarm episode of one rule on one datastream: raised, repeated, cleared."""

    __tablename__ = "sensing_alarm"
    __table_args__ = (CheckConstraint("state IN ('active', 'cleared')", name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_alarm_rule.id", ondelete="CASCADE"), index=True
    )
    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_datastream.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(10), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    first_value: Mapped[float | None] = mapped_column(Float)
    last_value: Mapped[float | None] = mapped_column(Float)
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RuleState(Base):
    """Debounce counters of one rule on one datastream, between observations."""

    __tablename__ = "sensing_rule_state"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_alarm_rule.id", ondelete="CASCADE"), primary_key=True
    )
    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_datastream.id", ondelete="CASCADE"), primary_key=True
    )
    breaches: Mapped[int] = mapped_column(Integer, default=0)
    normals: Mapped[int] = mapped_column(Integer, default=0)
    last_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_value: Mapped[float | None] = mapped_column(Float)
