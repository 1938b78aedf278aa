"""datahub: catalog (datasets, versions, columns), elements and bindings, quality rules,
lineage, usage counters, search tokens

Revision ID: datahub_0001
Revises: core_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "datahub_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("datahub",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "datahub_dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(100), nullable=False),
        sa.Column("contact_email", sa.String(200), nullable=False),
        sa.Column("contact_phone", sa.String(50), nullable=False),
        sa.Column("theme", sa.String(32), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("update_frequency", sa.String(16), nullable=False),
        sa.Column("temporal_start", sa.Date(), nullable=True),
        sa.Column("temporal_end", sa.Date(), nullable=True),
        sa.Column("spatial", sa.String(200), nullable=False),
        sa.Column("licence", sa.String(64), nullable=False),
        sa.Column("sharing_type", sa.String(16), nullable=False),
        sa.Column("sharing_condition", sa.String(500), nullable=False),
        sa.Column("open_type", sa.String(16), nullable=False),
        sa.Column("open_condition", sa.String(500), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=True),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("source_format", sa.String(16), nullable=True),
        sa.Column("last_loaded_at", TS, nullable=True),
        sa.Column("quality_score", sa.Float(), nullable=True),
        sa.Column("quality_report", sa.Text(), nullable=True),
        sa.Column("quality_checked_at", TS, nullable=True),
        sa.Column("search_stamp", sa.String(32), nullable=False),
        sa.Column("created_by_name", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "sharing_type IN ('unconditional', 'conditional', 'not_shared')",
            name=op.f("ck_datahub_dataset_sharing_type"),
        ),
        sa.CheckConstraint(
            "open_type IN ('unconditional', 'conditional', 'not_open')",
            name=op.f("ck_datahub_dataset_open_type"),
        ),
        _fk("datahub_dataset", "department_id", "identity_department", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datahub_dataset")),
    )
    op.create_index(op.f("ix_datahub_dataset_name"), "datahub_dataset", ["name"], unique=True)
    for col in ("department_id", "theme", "sharing_type", "open_type"):
        op.create_index(op.f(f"ix_datahub_dataset_{col}"), "datahub_dataset", [col])

    op.create_table(
        "datahub_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.String(500), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("source_name", sa.String(300), nullable=False),
        sa.Column("source_format", sa.String(16), nullable=False),
        sa.Column("encoding", sa.String(32), nullable=True),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("loaded_by_name", sa.String(64), nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("quality", sa.Text(), nullable=False),
        sa.Column("quality_score", sa.Float(), nullable=True),
        sa.Column("drift", sa.Text(), nullable=False),
        _fk("datahub_version", "dataset_id", "datahub_dataset", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datahub_version")),
        sa.UniqueConstraint(
            "dataset_id", "number", name=op.f("uq_datahub_version_dataset_id_number")
        ),
    )
    op.create_index(op.f("ix_datahub_version_dataset_id"), "datahub_version", ["dataset_id"])

    op.create_table(
        "datahub_column",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("pii_type", sa.String(32), nullable=True),
        sa.Column("grade", sa.String(16), nullable=True),
        _fk("datahub_column", "dataset_id", "datahub_dataset", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datahub_column")),
        sa.UniqueConstraint("dataset_id", "name", name=op.f("uq_datahub_column_dataset_id_name")),
    )
    op.create_index(op.f("ix_datahub_column_dataset_id"), "datahub_column", ["dataset_id"])

    op.create_table(
        "datahub_element",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("data_type", sa.String(16), nullable=False),
        sa.Column("identifier_scheme", sa.String(16), nullable=True),
        sa.Column("standard", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datahub_element")),
        sa.UniqueConstraint("name", name=op.f("uq_datahub_element_name")),
    )
    op.create_index(op.f("ix_datahub_element_code"), "datahub_element", ["code"], unique=True)

    op.create_table(
        "datahub_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_column", sa.String(200), nullable=True),
        sa.Column("created_by_name", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "role IN ('authority', 'replica')", name=op.f("ck_datahub_binding_role")
        ),
        _fk("datahub_binding", "element_id", "datahub_element", "CASCADE"),
        _fk("datahub_binding", "dataset_id", "datahub_dataset", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datahub_binding")),
        sa.UniqueConstraint(
            "element_id",
            "dataset_id",
            "column",
            name=op.f("uq_datahub_binding_element_id_dataset_id_column"),
        ),
    )
    op.create_index(op.f("ix_datahub_binding_element_id"), "datahub_binding", ["element_id"])
    op.create_index(op.f("ix_datahub_binding_dataset_id"), "datahub_binding", ["dataset_id"])
    op.create_index(
        "ix_datahub_binding_one_authority",
        "datahub_binding",
        ["element_id"],
        unique=True,
        sqlite_where=sa.text("role = 'authority'"),
        postgresql_where=sa.text("role = 'authority'"),
    )

    op.create_table(
        "datahub_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("column", sa.String(200), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("blocking", sa.Boolean(), nullable=False),
        _fk("datahub_rule", "dataset_id", "datahub_dataset", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datahub_rule")),
    )
    op.create_index(op.f("ix_datahub_rule_dataset_id"), "datahub_rule", ["dataset_id"])

    op.create_table(
        "datahub_lineage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=True),
        sa.Column("transformation", sa.Text(), nullable=False),
        sa.Column("recorded_by_name", sa.String(64), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        _fk("datahub_lineage", "dataset_id", "datahub_dataset", "CASCADE"),
        _fk("datahub_lineage", "source_id", "datahub_dataset", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datahub_lineage")),
        sa.UniqueConstraint(
            "dataset_id", "source_id", name=op.f("uq_datahub_lineage_dataset_id_source_id")
        ),
    )
    op.create_index(op.f("ix_datahub_lineage_dataset_id"), "datahub_lineage", ["dataset_id"])
    op.create_index(op.f("ix_datahub_lineage_source_id"), "datahub_lineage", ["source_id"])

    op.create_table(
        "datahub_usage",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("reads", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        _fk("datahub_usage", "dataset_id", "datahub_dataset", "CASCADE"),
        sa.PrimaryKeyConstraint(
            "day", "dataset_id", "department_code", "channel", name=op.f("pk_datahub_usage")
        ),
    )
    op.create_table(
        "datahub_element_usage",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("element_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=False),
        sa.Column("reads", sa.BigInteger(), nullable=False),
        _fk("datahub_element_usage", "element_id", "datahub_element", "CASCADE"),
        sa.PrimaryKeyConstraint(
            "day", "element_id", "department_code", name=op.f("pk_datahub_element_usage")
        ),
    )
    op.create_table(
        "datahub_search_token",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        _fk("datahub_search_token", "dataset_id", "datahub_dataset", "CASCADE"),
        sa.PrimaryKeyConstraint("dataset_id", "token", name=op.f("pk_datahub_search_token")),
    )
    state = op.create_table(
        "datahub_catalog_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datahub_catalog_state")),
    )
    op.bulk_insert(state, [{"id": 1, "stamp": "initial"}])


def downgrade() -> None:
    for table in (
        "datahub_catalog_state",
        "datahub_search_token",
        "datahub_element_usage",
        "datahub_usage",
        "datahub_lineage",
        "datahub_rule",
        "datahub_binding",
        "datahub_element",
        "datahub_column",
        "datahub_version",
        "datahub_dataset",
    ):
        op.drop_table(table)
