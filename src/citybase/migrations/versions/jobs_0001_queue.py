"""jobs: the durable job queue

Revision ID: jobs_0001
Revises: core_0001
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "jobs_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("jobs",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", TS, nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("progress_message", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_jobs_job_status"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["identity_user.id"],
            name=op.f("fk_jobs_job_owner_id_identity_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_job")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_jobs_job_dedupe_key")),
    )
    op.create_index(op.f("ix_jobs_job_name"), "jobs_job", ["name"])
    op.create_index(op.f("ix_jobs_job_owner_id"), "jobs_job", ["owner_id"])
    op.create_index("ix_jobs_job_due", "jobs_job", ["status", "queue", "run_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_job_due", table_name="jobs_job")
    op.drop_index(op.f("ix_jobs_job_owner_id"), table_name="jobs_job")
    op.drop_index(op.f("ix_jobs_job_name"), table_name="jobs_job")
    op.drop_table("jobs_job")
