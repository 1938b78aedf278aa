"""sharing: requests, grants, the subject-access ledger, citizens' links

Revision ID: sharing_0001
Revises: core_0001
Depends on: datahub_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharing_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("sharing",)
depends_on: str | Sequence[str] | None = "datahub_0001"

TS = sa.DateTime(timezone=True)
STATUSES = "'pending', 'granted', 'rejected', 'refused', 'withdrawn'"


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "sharing_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_name", sa.String(64), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(500), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("row_filter", sa.Text(), nullable=False),
        sa.Column("clear_columns", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by_name", sa.String(64), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_sharing_request_status")),
        _fk("sharing_request", "dataset_id", "datahub_dataset", "CASCADE"),
        _fk("sharing_request", "department_id", "identity_department", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_request")),
    )
    for col in ("dataset_id", "department_id", "status"):
        op.create_index(op.f(f"ix_sharing_request_{col}"), "sharing_request", [col])

    op.create_table(
        "sharing_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("row_filter", sa.Text(), nullable=False),
        sa.Column("clear_columns", sa.Text(), nullable=False),
        sa.Column("deid_policy", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(500), nullable=False),
        sa.Column("granted_by_name", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by_name", sa.String(64), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=False),
        _fk("sharing_grant", "request_id", "sharing_request", "CASCADE"),
        _fk("sharing_grant", "dataset_id", "datahub_dataset", "CASCADE"),
        _fk("sharing_grant", "department_id", "identity_department", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_grant")),
        sa.UniqueConstraint("request_id", name=op.f("uq_sharing_grant_request_id")),
    )
    for col in ("dataset_id", "department_id"):
        op.create_index(op.f(f"ix_sharing_grant_{col}"), "sharing_grant", [col])

    op.create_table(
        "sharing_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("department_code", sa.String(32), nullable=True),
        sa.Column("department_name", sa.String(200), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("dataset_name", sa.String(100), nullable=False),
        sa.Column("dataset_title", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(500), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("ledger_file", sa.String(300), nullable=True),
        sa.Column("key_id", sa.String(16), nullable=False),
        _fk("sharing_access", "grant_id", "sharing_grant", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_access")),
        sa.UniqueConstraint("ref", name=op.f("uq_sharing_access_ref")),
    )
    op.create_index(op.f("ix_sharing_access_at"), "sharing_access", ["at"])
    op.create_index(op.f("ix_sharing_access_grant_id"), "sharing_access", ["grant_id"])

    op.create_table(
        "sharing_access_subject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("access_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        _fk("sharing_access_subject", "access_id", "sharing_access", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_access_subject")),
    )
    for col in ("access_id", "token"):
        op.create_index(op.f(f"ix_sharing_access_subject_{col}"), "sharing_access_subject", [col])

    op.create_table(
        "sharing_citizen_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("linked_by_name", sa.String(64), nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        _fk("sharing_citizen_link", "user_id", "identity_user", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_citizen_link")),
        sa.UniqueConstraint("user_id", name=op.f("uq_sharing_citizen_link_user_id")),
    )
    op.create_index(op.f("ix_sharing_citizen_link_token"), "sharing_citizen_link", ["token"])


def downgrade() -> None:
    for table in (
        "sharing_citizen_link",
        "sharing_access_subject",
        "sharing_access",
        "sharing_grant",
        "sharing_request",
    ):
        op.drop_table(table)
