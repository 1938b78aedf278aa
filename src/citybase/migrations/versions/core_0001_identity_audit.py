"""core: identity (departments, users, sessions, tokens) and the audit log

Revision ID: core_0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("core",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "identity_department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_department")),
    )
    op.create_index(
        op.f("ix_identity_department_code"), "identity_department", ["code"], unique=True
    )
    op.create_table(
        "identity_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_login_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["identity_department.id"],
            name=op.f("fk_identity_user_department_id_identity_department"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_user")),
    )
    op.create_index(op.f("ix_identity_user_username"), "identity_user", ["username"], unique=True)
    op.create_index(op.f("ix_identity_user_role"), "identity_user", ["role"])
    op.create_index(op.f("ix_identity_user_department_id"), "identity_user", ["department_id"])
    for table in ("identity_api_token", "identity_web_session"):
        cols: list[sa.schema.SchemaItem] = [
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("token_hash", sa.String(64), nullable=False),
            sa.Column("created_at", TS, nullable=False),
            sa.Column("expires_at", TS, nullable=False),
            sa.Column("revoked_at", TS, nullable=True),
        ]
        if table == "identity_api_token":
            cols += [
                sa.Column("name", sa.String(100), nullable=False),
                sa.Column("prefix", sa.String(16), nullable=False),
                sa.Column("last_used_at", TS, nullable=True),
            ]
        else:
            cols += [sa.Column("csrf_token", sa.String(64), nullable=False)]
        op.create_table(
            table,
            *cols,
            sa.ForeignKeyConstraint(
                ["user_id"],
                ["identity_user.id"],
                name=op.f(f"fk_{table}_user_id_identity_user"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("token_hash", name=op.f(f"uq_{table}_token_hash")),
        )
        op.create_index(op.f(f"ix_{table}_user_id"), table, ["user_id"])

    op.create_table(
        "audit_record",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(64), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(64), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(500), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_record")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_record_seq")),
    )
    op.create_index(op.f("ix_audit_record_at"), "audit_record", ["at"])
    op.create_index(op.f("ix_audit_record_actor_id"), "audit_record", ["actor_id"])
    op.create_index(op.f("ix_audit_record_department_code"), "audit_record", ["department_code"])
    op.create_index(op.f("ix_audit_record_action"), "audit_record", ["action"])
    op.create_index("ix_audit_record_object", "audit_record", ["object_type", "object_id"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "last_hash": "0" * 64}])


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_table("audit_record")
    op.drop_table("identity_web_session")
    op.drop_table("identity_api_token")
    op.drop_table("identity_user")
    op.drop_table("identity_department")
