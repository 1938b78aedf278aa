"""sensing: SensorThings entities, observations, rollups, alarm rules and alarms

Revision ID: sensing_0001
Revises: core_0001
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from citybase.db import UTCDateTime

revision: str = "sensing_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("sensing",)
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sensing_feature",
        sa.Column("encoding_type", sa.String(length=100), nullable=False),
        sa.Column("feature", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_feature")),
    )
    op.create_table(
        "sensing_location",
        sa.Column("encoding_type", sa.String(length=100), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_location")),
    )
    op.create_table(
        "sensing_observed_property",
        sa.Column("definition", sa.String(length=500), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_observed_property")),
    )
    op.create_table(
        "sensing_sensor",
        sa.Column("encoding_type", sa.String(length=100), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_sensor")),
    )
    op.create_table(
        "sensing_thing",
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_thing")),
    )
    op.create_index(
        op.f("ix_sensing_thing_department_code"), "sensing_thing", ["department_code"], unique=False
    )
    op.create_table(
        "sensing_datastream",
        sa.Column("observation_type", sa.String(length=200), nullable=False),
        sa.Column("unit_of_measurement", sa.Text(), nullable=False),
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("observed_property_id", sa.Integer(), nullable=False),
        sa.Column("phenomenon_start_ms", sa.BigInteger(), nullable=True),
        sa.Column("phenomenon_end_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_received_ms", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["observed_property_id"],
            ["sensing_observed_property.id"],
            name=op.f("fk_sensing_datastream_observed_property_id_sensing_observed_property"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensing_sensor.id"],
            name=op.f("fk_sensing_datastream_sensor_id_sensing_sensor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thing_id"],
            ["sensing_thing.id"],
            name=op.f("fk_sensing_datastream_thing_id_sensing_thing"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_datastream")),
    )
    op.create_index(
        op.f("ix_sensing_datastream_observed_property_id"),
        "sensing_datastream",
        ["observed_property_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sensing_datastream_sensor_id"), "sensing_datastream", ["sensor_id"], unique=False
    )
    op.create_index(
        op.f("ix_sensing_datastream_thing_id"), "sensing_datastream", ["thing_id"], unique=False
    )
    op.create_table(
        "sensing_historical_location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("time_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["thing_id"],
            ["sensing_thing.id"],
            name=op.f("fk_sensing_historical_location_thing_id_sensing_thing"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_historical_location")),
    )
    op.create_index(
        op.f("ix_sensing_historical_location_thing_id"),
        "sensing_historical_location",
        ["thing_id"],
        unique=False,
    )
    op.create_table(
        "sensing_thing_location",
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["sensing_location.id"],
            name=op.f("fk_sensing_thing_location_location_id_sensing_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thing_id"],
            ["sensing_thing.id"],
            name=op.f("fk_sensing_thing_location_thing_id_sensing_thing"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thing_id", "location_id", name=op.f("pk_sensing_thing_location")),
    )
    op.create_index(
        op.f("ix_sensing_thing_location_location_id"),
        "sensing_thing_location",
        ["location_id"],
        unique=False,
    )
    op.create_table(
        "sensing_alarm_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("datastream_id", sa.Integer(), nullable=True),
        sa.Column("observed_property_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("debounce", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('threshold', 'rate_of_change', 'no_data', 'out_of_range')",
            name=op.f("ck_sensing_alarm_rule_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["datastream_id"],
            ["sensing_datastream.id"],
            name=op.f("fk_sensing_alarm_rule_datastream_id_sensing_datastream"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["observed_property_id"],
            ["sensing_observed_property.id"],
            name=op.f("fk_sensing_alarm_rule_observed_property_id_sensing_observed_property"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_alarm_rule")),
    )
    op.create_index(
        op.f("ix_sensing_alarm_rule_datastream_id"),
        "sensing_alarm_rule",
        ["datastream_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sensing_alarm_rule_observed_property_id"),
        "sensing_alarm_rule",
        ["observed_property_id"],
        unique=False,
    )
    op.create_table(
        "sensing_historical_location_location",
        sa.Column("historical_location_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["historical_location_id"],
            ["sensing_historical_location.id"],
            name=op.f(
                "fk_sensing_historical_location_location_historical_location_id_sensing_historical_location"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["sensing_location.id"],
            name=op.f("fk_sensing_historical_location_location_location_id_sensing_location"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "historical_location_id",
            "location_id",
            name=op.f("pk_sensing_historical_location_location"),
        ),
    )
    op.create_index(
        op.f("ix_sensing_historical_location_location_location_id"),
        "sensing_historical_location_location",
        ["location_id"],
        unique=False,
    )
    op.create_table(
        "sensing_observation",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("datastream_id", sa.Integer(), nullable=False),
        sa.Column("phenomenon_ms", sa.BigInteger(), nullable=False),
        sa.Column("phenomenon_end_ms", sa.BigInteger(), nullable=True),
        sa.Column("result_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("result_number", sa.Float(), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.Column("result_quality", sa.Text(), nullable=True),
        sa.Column("parameters", sa.Text(), nullable=True),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["datastream_id"],
            ["sensing_datastream.id"],
            name=op.f("fk_sensing_observation_datastream_id_sensing_datastream"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["sensing_feature.id"],
            name=op.f("fk_sensing_observation_feature_id_sensing_feature"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_observation")),
    )
    op.create_index(
        "ix_sensing_observation_ds_time",
        "sensing_observation",
        ["datastream_id", "phenomenon_ms"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sensing_observation_feature_id"),
        "sensing_observation",
        ["feature_id"],
        unique=False,
    )
    op.create_table(
        "sensing_rollup",
        sa.Column("datastream_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("bucket_ms", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "grain IN ('minute', 'hour', 'day')", name=op.f("ck_sensing_rollup_grain")
        ),
        sa.ForeignKeyConstraint(
            ["datastream_id"],
            ["sensing_datastream.id"],
            name=op.f("fk_sensing_rollup_datastream_id_sensing_datastream"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "datastream_id", "grain", "bucket_ms", name=op.f("pk_sensing_rollup")
        ),
    )
    op.create_table(
        "sensing_alarm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("datastream_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("first_value", sa.Float(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.Column("cleared_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("state IN ('active', 'cleared')", name=op.f("ck_sensing_alarm_state")),
        sa.ForeignKeyConstraint(
            ["datastream_id"],
            ["sensing_datastream.id"],
            name=op.f("fk_sensing_alarm_datastream_id_sensing_datastream"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["sensing_alarm_rule.id"],
            name=op.f("fk_sensing_alarm_rule_id_sensing_alarm_rule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensing_alarm")),
    )
    op.create_index(
        op.f("ix_sensing_alarm_datastream_id"), "sensing_alarm", ["datastream_id"], unique=False
    )
    op.create_index(op.f("ix_sensing_alarm_rule_id"), "sensing_alarm", ["rule_id"], unique=False)
    op.create_index(op.f("ix_sensing_alarm_state"), "sensing_alarm", ["state"], unique=False)
    op.create_table(
        "sensing_rule_state",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("datastream_id", sa.Integer(), nullable=False),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.Column("normals", sa.Integer(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["datastream_id"],
            ["sensing_datastream.id"],
            name=op.f("fk_sensing_rule_state_datastream_id_sensing_datastream"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["sensing_alarm_rule.id"],
            name=op.f("fk_sensing_rule_state_rule_id_sensing_alarm_rule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", "datastream_id", name=op.f("pk_sensing_rule_state")),
    )


def downgrade() -> None:
    op.drop_table("sensing_rule_state")
    op.drop_index(op.f("ix_sensing_alarm_state"), table_name="sensing_alarm")
    op.drop_index(op.f("ix_sensing_alarm_rule_id"), table_name="sensing_alarm")
    op.drop_index(op.f("ix_sensing_alarm_datastream_id"), table_name="sensing_alarm")
    op.drop_table("sensing_alarm")
    op.drop_table("sensing_rollup")
    op.drop_index(op.f("ix_sensing_observation_feature_id"), table_name="sensing_observation")
    op.drop_index("ix_sensing_observation_ds_time", table_name="sensing_observation")
    op.drop_table("sensing_observation")
    op.drop_index(
        op.f("ix_sensing_historical_location_location_location_id"),
        table_name="sensing_historical_location_location",
    )
    op.drop_table("sensing_historical_location_location")
    op.drop_index(
        op.f("ix_sensing_alarm_rule_observed_property_id"), table_name="sensing_alarm_rule"
    )
    op.drop_index(op.f("ix_sensing_alarm_rule_datastream_id"), table_name="sensing_alarm_rule")
    op.drop_table("sensing_alarm_rule")
    op.drop_index(
        op.f("ix_sensing_thing_location_location_id"), table_name="sensing_thing_location"
    )
    op.drop_table("sensing_thing_location")
    op.drop_index(
        op.f("ix_sensing_historical_location_thing_id"), table_name="sensing_historical_location"
    )
    op.drop_table("sensing_historical_location")
    op.drop_index(op.f("ix_sensing_datastream_thing_id"), table_name="sensing_datastream")
    op.drop_index(op.f("ix_sensing_datastream_sensor_id"), table_name="sensing_datastream")
    op.drop_index(
        op.f("ix_sensing_datastream_observed_property_id"), table_name="sensing_datastream"
    )
    op.drop_table("sensing_datastream")
    op.drop_index(op.f("ix_sensing_thing_department_code"), table_name="sensing_thing")
    op.drop_table("sensing_thing")
    op.drop_table("sensing_sensor")
    op.drop_table("sensing_observed_property")
    op.drop_table("sensing_location")
    op.drop_table("sensing_feature")
