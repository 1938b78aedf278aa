"""services: applications, e-certificates, bundles, applicant profiles

Revision ID: services_0001
Revises: core_0001
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "services_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("services",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "services_applicant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=32), nullable=True),
        sa.Column("uscc", sa.String(length=32), nullable=True),
        sa.Column("verified_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_services_applicant_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_applicant")),
        sa.UniqueConstraint("user_id", name=op.f("uq_services_applicant_user_id")),
    )
    op.create_table(
        "services_bundle_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundle_code", sa.String(length=40), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["identity_user.id"],
            name=op.f("fk_services_bundle_application_applicant_id_identity_user"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_bundle_application")),
    )
    op.create_index(
        op.f("ix_services_bundle_application_applicant_id"),
        "services_bundle_application",
        ["applicant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_bundle_application_bundle_code"),
        "services_bundle_application",
        ["bundle_code"],
        unique=False,
    )
    op.create_table(
        "services_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("id_number", sa.String(length=32), nullable=True),
        sa.Column("uscc", sa.String(length=32), nullable=True),
        sa.Column("bundle_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=True),
        sa.Column("instant", sa.Boolean(), nullable=False),
        sa.Column("rule_version", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("uploads", sa.Text(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Text(), nullable=True),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_by_name", sa.String(length=64), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["identity_user.id"],
            name=op.f("fk_services_application_applicant_id_identity_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["services_bundle_application.id"],
            name=op.f("fk_services_application_bundle_id_services_bundle_application"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_application")),
    )
    op.create_index(
        op.f("ix_services_application_applicant_id"),
        "services_application",
        ["applicant_id"],
        unique=False,
    )
    op.create_index(
        "ix_services_application_applicant_item",
        "services_application",
        ["applicant_id", "item_code", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_application_bundle_id"),
        "services_application",
        ["bundle_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_application_created_at"),
        "services_application",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_application_decision"), "services_application", ["decision"], unique=False
    )
    op.create_index(
        op.f("ix_services_application_department_code"),
        "services_application",
        ["department_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_application_due_at"), "services_application", ["due_at"], unique=False
    )
    op.create_index(
        op.f("ix_services_application_item_code"),
        "services_application",
        ["item_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_application_status"), "services_application", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_services_application_submitted_at"),
        "services_application",
        ["submitted_at"],
        unique=False,
    )
    op.create_table(
        "services_certificate",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by_name", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["services_application.id"],
            name=op.f("fk_services_certificate_application_id_services_application"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["identity_user.id"],
            name=op.f("fk_services_certificate_holder_id_identity_user"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services_certificate")),
    )
    op.create_index(
        op.f("ix_services_certificate_application_id"),
        "services_certificate",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_certificate_department_code"),
        "services_certificate",
        ["department_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_certificate_holder_id"),
        "services_certificate",
        ["holder_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_services_certificate_item_code"),
        "services_certificate",
        ["item_code"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index(op.f("ix_services_certificate_item_code"), table_name="services_certificate")
    op.drop_index(op.f("ix_services_certificate_holder_id"), table_name="services_certificate")
    op.drop_index(
        op.f("ix_services_certificate_department_code"), table_name="services_certificate"
    )
    op.drop_index(op.f("ix_services_certificate_application_id"), table_name="services_certificate")
    op.drop_table("services_certificate")
    op.drop_index(op.f("ix_services_application_submitted_at"), table_name="services_application")
    op.drop_index(op.f("ix_services_application_status"), table_name="services_application")
    op.drop_index(op.f("ix_services_application_item_code"), table_name="services_application")
    op.drop_index(op.f("ix_services_application_due_at"), table_name="services_application")
    op.drop_index(
        op.f("ix_services_application_department_code"), table_name="services_application"
    )
    op.drop_index(op.f("ix_services_application_decision"), table_name="services_application")
    op.drop_index(op.f("ix_services_application_created_at"), table_name="services_application")
    op.drop_index(op.f("ix_services_application_bundle_id"), table_name="services_application")
    op.drop_index("ix_services_application_applicant_item", table_name="services_application")
    op.drop_index(op.f("ix_services_application_applicant_id"), table_name="services_application")
    op.drop_table("services_application")
    op.drop_index(
        op.f("ix_services_bundle_application_bundle_code"), table_name="services_bundle_application"
    )
    op.drop_index(
        op.f("ix_services_bundle_application_applicant_id"),
        table_name="services_bundle_application",
    )
    op.drop_table("services_bundle_application")
    op.drop_table("services_applicant")
