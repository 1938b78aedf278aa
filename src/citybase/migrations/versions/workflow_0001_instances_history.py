"""workflow: instances (state, departments, deadline, version), history, deadline notices

Revision ID: workflow_0001
Revises: core_0001
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "workflow_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("workflow",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "workflow_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow", sa.String(64), nullable=False),
        sa.Column("subject_type", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("departments", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("deadline_unit", sa.String(16), nullable=True),
        sa.Column("deadline_amount", sa.Float(), nullable=True),
        sa.Column("deadline_started_at", TS, nullable=True),
        sa.Column("deadline_allowed_us", sa.BigInteger(), nullable=True),
        sa.Column("deadline_paused_us", sa.BigInteger(), nullable=True),
        sa.Column("deadline_paused_at", TS, nullable=True),
        sa.Column("deadline_due_at", TS, nullable=True),
        sa.Column("deadline_warn_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_instance")),
        sa.UniqueConstraint(
            "workflow",
            "subject_type",
            "subject_id",
            name=op.f("uq_workflow_instance_workflow_subject_type_subject_id"),
        ),
    )
    op.create_index(op.f("ix_workflow_instance_state"), "workflow_instance", ["state"])
    for col in ("deadline_due_at", "deadline_warn_at"):
        op.create_index(op.f(f"ix_workflow_instance_{col}"), "workflow_instance", [col])
    op.create_table(
        "workflow_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(64), nullable=True),
        sa.Column("to_state", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["workflow_instance.id"],
            name=op.f("fk_workflow_transition_instance_id_workflow_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_transition")),
    )
    op.create_index(
        op.f("ix_workflow_transition_instance_id"), "workflow_transition", ["instance_id"]
    )

    op.create_table(
        "workflow_deadline_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["workflow_instance.id"],
            name=op.f("fk_workflow_deadline_notice_instance_id_workflow_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_deadline_notice")),
        sa.UniqueConstraint(
            "instance_id",
            "kind",
            "due_at",
            name=op.f("uq_workflow_deadline_notice_instance_id_kind_due_at"),
        ),
    )
    op.create_index(
        op.f("ix_workflow_deadline_notice_instance_id"),
        "workflow_deadline_notice",
        ["instance_id"],
    )


def downgrade() -> None:
    op.drop_table("workflow_deadline_notice")
    op.drop_table("workflow_transition")
    op.drop_table("workflow_instance")
