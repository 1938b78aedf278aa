"""datahub: classification and grading columns, open-release gate records

Revision ID: datahub_0002
Revises: datahub_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "datahub_0002"
down_revision: str | Sequence[str] | None = "datahub_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("datahub_dataset") as batch:
        batch.add_column(sa.Column("grade", sa.String(16), nullable=True))
        batch.add_column(sa.Column("steward_grade", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("grade_reason", sa.String(1000), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("graded_by_name", sa.String(64), nullable=True))
        batch.add_column(sa.Column("graded_at", TS, nullable=True))
        batch.add_column(sa.Column("released_version", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("held_back", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("datahub_column") as batch:
        batch.add_column(
            sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("detected_type", sa.String(32), nullable=True))
        batch.add_column(sa.Column("pii_confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("pii_hit_ratio", sa.Float(), nullable=True))
        batch.add_column(sa.Column("pii_source", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("override_reason", sa.String(1000), nullable=False, server_default="")
        )
    op.create_table(
        "datahub_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("source_version", sa.Integer(), nullable=True),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("policy_fingerprint", sa.String(16), nullable=False),
        sa.Column("quasi_identifiers", sa.Text(), nullable=False),
        sa.Column("min_k", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("requested_by_name", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datahub_dataset.id"],
            name=op.f("fk_datahub_release_dataset_id_datahub_dataset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["datahub_dataset.id"],
            name=op.f("fk_datahub_release_source_id_datahub_dataset"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datahub_release")),
    )
    op.create_index(op.f("ix_datahub_release_dataset_id"), "datahub_release", ["dataset_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_datahub_release_dataset_id"), table_name="datahub_release")
    op.drop_table("datahub_release")
    with op.batch_alter_table("datahub_column") as batch:
        for name in (
            "override_reason",
            "pii_source",
            "pii_hit_ratio",
            "pii_confidence",
            "detected_type",
        ):
            batch.drop_column(name)
        batch.drop_column("sensitive")
    with op.batch_alter_table("datahub_dataset") as batch:
        for name in (
            "held_back",
            "released_version",
            "graded_at",
            "graded_by_name",
            "grade_reason",
            "steward_grade",
            "grade",
        ):
            batch.drop_column(name)
