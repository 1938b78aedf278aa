"""geo: areas (districts, streets, grids), the geo state row and grid workers

Revision ID: geo_0001
Revises: core_0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "geo_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("geo",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "geo_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "level IN ('district', 'street', 'grid')", name=op.f("ck_geo_area_level")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["geo_area.id"],
            name=op.f("fk_geo_area_parent_id_geo_area"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geo_area")),
    )
    op.create_index(op.f("ix_geo_area_code"), "geo_area", ["code"], unique=True)
    op.create_index(op.f("ix_geo_area_level"), "geo_area", ["level"])
    op.create_index(op.f("ix_geo_area_parent_id"), "geo_area", ["parent_id"])
    op.create_index(op.f("ix_geo_area_updated_at"), "geo_area", ["updated_at"])

    state = op.create_table(
        "geo_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geo_state")),
    )
    op.bulk_insert(state, [{"id": 1, "version": 0}])

    op.create_table(
        "geo_grid_worker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["geo_area.id"],
            name=op.f("fk_geo_grid_worker_grid_id_geo_area"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_geo_grid_worker_user_id_identity_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geo_grid_worker")),
        sa.UniqueConstraint("grid_id", "mobile", name=op.f("uq_geo_grid_worker_grid_id_mobile")),
    )
    op.create_index(op.f("ix_geo_grid_worker_grid_id"), "geo_grid_worker", ["grid_id"])
    op.create_index(op.f("ix_geo_grid_worker_user_id"), "geo_grid_worker", ["user_id"])


def downgrade() -> None:
    op.drop_table("geo_grid_worker")
    op.drop_table("geo_state")
    op.drop_table("geo_area")
