"""ops: city event cases, reports, photos, notes, routing rules

Revision ID: ops_0001
Revises: core_0001
Depends on: -
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ops_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("ops",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ops_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("needs_category", sa.Boolean(), nullable=False),
        sa.Column("candidates", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("routed_by", sa.String(length=128), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("district_code", sa.String(length=64), nullable=True),
        sa.Column("street_code", sa.String(length=64), nullable=True),
        sa.Column("grid_code", sa.String(length=64), nullable=True),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("satisfaction", sa.String(length=32), nullable=True),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("rework_count", sa.Integer(), nullable=False),
        sa.Column("extension_count", sa.Integer(), nullable=False),
        sa.Column("urge_count", sa.Integer(), nullable=False),
        sa.Column("supervise_count", sa.Integer(), nullable=False),
        sa.Column("handling_hours", sa.Float(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("registered_at", TS, nullable=True),
        sa.Column("registered_day", sa.String(length=10), nullable=True),
        sa.Column("dispatched_at", TS, nullable=True),
        sa.Column("handled_at", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("closed_day", sa.String(length=10), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("sla_unit", sa.String(length=16), nullable=True),
        sa.Column("sla_amount", sa.Float(), nullable=True),
        sa.Column("sla_started_at", TS, nullable=True),
        sa.Column("sla_allowed_us", sa.BigInteger(), nullable=True),
        sa.Column("sla_paused_us", sa.BigInteger(), nullable=True),
        sa.Column("sla_paused_at", TS, nullable=True),
        sa.Column("sla_error", sa.Text(), nullable=False),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("warn_at", TS, nullable=True),
        sa.Column("due_day", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_case")),
        sa.UniqueConstraint("alarm_id", name=op.f("uq_ops_case_alarm_id")),
    )
    op.create_index(op.f("ix_ops_case_category"), "ops_case", ["category"], unique=False)
    op.create_index(op.f("ix_ops_case_created_at"), "ops_case", ["created_at"], unique=False)
    op.create_index("ix_ops_case_dept_due_day", "ops_case", ["department", "due_day"], unique=False)
    op.create_index(op.f("ix_ops_case_district_code"), "ops_case", ["district_code"], unique=False)
    op.create_index("ix_ops_case_due", "ops_case", ["due_at"], unique=False)
    op.create_index(op.f("ix_ops_case_due_day"), "ops_case", ["due_day"], unique=False)
    op.create_index(op.f("ix_ops_case_grid_code"), "ops_case", ["grid_code"], unique=False)
    op.create_index("ix_ops_case_near", "ops_case", ["category", "created_at"], unique=False)
    op.create_index(
        "ix_ops_case_queue", "ops_case", ["status", "department", "due_at"], unique=False
    )
    op.create_index(
        op.f("ix_ops_case_registered_day"), "ops_case", ["registered_day"], unique=False
    )
    op.create_index(op.f("ix_ops_case_status"), "ops_case", ["status"], unique=False)
    op.create_index(op.f("ix_ops_case_street_code"), "ops_case", ["street_code"], unique=False)
    op.create_table(
        "ops_routing_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("area_codes", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("hours", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("grid_code", sa.String(length=64), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_routing_rule")),
        sa.UniqueConstraint("name", name=op.f("uq_ops_routing_rule_name")),
    )
    op.create_table(
        "ops_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["ops_case.id"],
            name=op.f("fk_ops_note_case_id_ops_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_note")),
    )
    op.create_index(op.f("ix_ops_note_case_id"), "ops_note", ["case_id"], unique=False)
    op.create_table(
        "ops_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["ops_case.id"],
            name=op.f("fk_ops_photo_case_id_ops_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_photo")),
    )
    op.create_index(op.f("ix_ops_photo_case_id"), "ops_photo", ["case_id"], unique=False)
    op.create_table(
        "ops_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reporter_name", sa.String(length=64), nullable=False),
        sa.Column("reporter_phone", sa.String(length=32), nullable=False),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["ops_case.id"],
            name=op.f("fk_ops_report_case_id_ops_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_report")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ops_report_idempotency_key")),
    )
    op.create_index(op.f("ix_ops_report_case_id"), "ops_report", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_ops_report_reporter_user_id"), "ops_report", ["reporter_user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ops_report_reporter_user_id"), table_name="ops_report")
    op.drop_index(op.f("ix_ops_report_case_id"), table_name="ops_report")
    op.drop_table("ops_report")
    op.drop_index(op.f("ix_ops_photo_case_id"), table_name="ops_photo")
    op.drop_table("ops_photo")
    op.drop_index(op.f("ix_ops_note_case_id"), table_name="ops_note")
    op.drop_table("ops_note")
    op.drop_table("ops_routing_rule")
    op.drop_index(op.f("ix_ops_case_street_code"), table_name="ops_case")
    op.drop_index(op.f("ix_ops_case_status"), table_name="ops_case")
    op.drop_index(op.f("ix_ops_case_registered_day"), table_name="ops_case")
    op.drop_index("ix_ops_case_queue", table_name="ops_case")
    op.drop_index("ix_ops_case_near", table_name="ops_case")
    op.drop_index(op.f("ix_ops_case_grid_code"), table_name="ops_case")
    op.drop_index(op.f("ix_ops_case_due_day"), table_name="ops_case")
    op.drop_index("ix_ops_case_due", table_name="ops_case")
    op.drop_index(op.f("ix_ops_case_district_code"), table_name="ops_case")
    op.drop_index("ix_ops_case_dept_due_day", table_name="ops_case")
    op.drop_index(op.f("ix_ops_case_created_at"), table_name="ops_case")
    op.drop_index(op.f("ix_ops_case_category"), table_name="ops_case")
    op.drop_table("ops_case")
