"""events: the outbox and per-subscriber deliveries

Revision ID: events_0001
Revises: core_0001
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "events_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("events",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("audience_departments", sa.Text(), nullable=False),
        sa.Column("audience_users", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_outbox")),
    )
    op.create_index(op.f("ix_events_outbox_event_type"), "events_outbox", ["event_type"])
    op.create_table(
        "events_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("subscriber", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'failed')", name=op.f("ck_events_delivery_status")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["events_outbox.id"],
            name=op.f("fk_events_delivery_outbox_id_events_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_delivery")),
        sa.UniqueConstraint(
            "outbox_id", "subscriber", name=op.f("uq_events_delivery_outbox_id_subscriber")
        ),
    )
    op.create_index(op.f("ix_events_delivery_outbox_id"), "events_delivery", ["outbox_id"])
    op.create_index("ix_events_delivery_due", "events_delivery", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_events_delivery_due", table_name="events_delivery")
    op.drop_index(op.f("ix_events_delivery_outbox_id"), table_name="events_delivery")
    op.drop_table("events_delivery")
    op.drop_index(op.f("ix_events_outbox_event_type"), table_name="events_outbox")
    op.drop_table("events_outbox")
