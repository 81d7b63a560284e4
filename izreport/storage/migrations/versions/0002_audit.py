"""The audit of writes: who wrote which file when, its SHA-256, and the values it replaced.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time", sa.String(20), nullable=False),
        sa.Column("user_name", sa.String(80), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7)),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("replaced", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("blank", sa.Integer, nullable=False),
        sa.Column("format", sa.String(80), nullable=False),
        sa.CheckConstraint("action IN ('seed', 'ingest')", name="ck_audit_action"),
    )
    op.create_table(
        "audit_values",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audit.id"), nullable=False),
        sa.Column("record", sa.String(80), nullable=False),
        sa.Column("old", sa.Text, nullable=False),
        sa.Column("new", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_values_audit_id", "audit_values", ["audit_id"])
    # a store filled before the audit existed: record that its rows came from before
    bind = op.get_bind()
    count = bind.execute(sa.text("SELECT COUNT(*) FROM monthly_reports")).scalar()
    if count:
        bind.execute(sa.text(
            "INSERT INTO audit (time, user_name, action, table_name, file_name, sha256, "
            "rows, added, replaced, unchanged, blank, format) VALUES "
            "('1970-01-01T00:00:00Z', 'migration 0002', 'seed', '*', '(before the audit)', "
            "'', :n, :n, 0, 0, 0, 'store')"), {"n": count})


def downgrade() -> None:
    op.drop_index("ix_audit_values_audit_id", "audit_values")
    op.drop_table("audit_values")
    op.drop_table("audit")
