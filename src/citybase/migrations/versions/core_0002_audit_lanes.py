"""core: the audit chain in lanes, so concurrent writers do not queue behind one row

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0002"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANES = 16


def _genesis(lane: int) -> str:
    import hashlib

    if lane == 1:
        return "0" * 64
    return hashlib.sha256(f"citybase-audit-lane-{lane}".encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("audit_record") as batch:
        batch.add_column(sa.Column("lane", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint("uq_audit_record_seq", type_="unique")
        batch.create_unique_constraint("uq_audit_record_lane_seq", ["lane", "seq"])
    head = sa.table(
        "audit_head",
        sa.column("id", sa.Integer()),
        sa.column("seq", sa.BigInteger()),
        sa.column("last_hash", sa.String(64)),
    )
    op.bulk_insert(
        head, [{"id": n, "seq": 0, "last_hash": _genesis(n)} for n in range(2, LANES + 1)]
    )


def downgrade() -> None:
    # Only possible while the other lanes are empty: their records cannot join lane 1.
    used = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_record WHERE lane > 1"))
    if used.scalar_one():
        raise RuntimeError("audit records exist in lanes above 1: the lanes cannot be undone")
    op.execute("DELETE FROM audit_head WHERE id > 1")
    with op.batch_alter_table("audit_record") as batch:
        batch.drop_constraint("uq_audit_record_lane_seq", type_="unique")
        batch.create_unique_constraint("uq_audit_record_seq", ["seq"])
        batch.drop_column("lane")
