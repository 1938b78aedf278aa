"""assess: assessments per city per period, peer-city values, 4A architecture outlines

Revision ID: assess_0001
Revises: core_0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "assess_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("assess",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "assess_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_code", sa.String(64), nullable=False),
        sa.Column("city_name", sa.String(200), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("framework_id", sa.String(64), nullable=False),
        sa.Column("framework_version", sa.String(32), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("bte_index", sa.Float(), nullable=True),
        sa.Column("axis_b", sa.Float(), nullable=True),
        sa.Column("axis_t", sa.Float(), nullable=True),
        sa.Column("axis_e", sa.Float(), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by_name", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assess_assessment")),
        sa.UniqueConstraint(
            "city_code", "period", name=op.f("uq_assess_assessment_city_code_period")
        ),
    )
    op.create_index(op.f("ix_assess_assessment_city_code"), "assess_assessment", ["city_code"])
    op.create_index(op.f("ix_assess_assessment_period"), "assess_assessment", ["period"])

    op.create_table(
        "assess_peer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assess_peer")),
        sa.UniqueConstraint("code", "period", name=op.f("uq_assess_peer_code_period")),
    )
    op.create_index(op.f("ix_assess_peer_code"), "assess_peer", ["code"])
    op.create_index(op.f("ix_assess_peer_period"), "assess_peer", ["period"])

    op.create_table(
        "assess_architecture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_code", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("edited_by_name", sa.String(64), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assess_architecture")),
        sa.UniqueConstraint(
            "city_code", "domain", name=op.f("uq_assess_architecture_city_code_domain")
        ),
    )
    op.create_index(op.f("ix_assess_architecture_city_code"), "assess_architecture", ["city_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_assess_architecture_city_code"), table_name="assess_architecture")
    op.drop_table("assess_architecture")
    op.drop_index(op.f("ix_assess_peer_period"), table_name="assess_peer")
    op.drop_index(op.f("ix_assess_peer_code"), table_name="assess_peer")
    op.drop_table("assess_peer")
    op.drop_index(op.f("ix_assess_assessment_period"), table_name="assess_assessment")
    op.drop_index(op.f("ix_assess_assessment_city_code"), table_name="assess_assessment")
    op.drop_table("assess_assessment")
