"""Projects' quarterly status and implemented capital (vốn thực hiện), cumulative.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_progress",
        sa.Column("project_id", sa.String(20), primary_key=True),
        sa.Column("quarter", sa.String(7), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False, unique=True),
        sa.Column("ownership", sa.String(3), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("implemented_capital_musd", sa.Float),
        sa.Column("implemented_capital_bn_vnd", sa.Float),
        sa.CheckConstraint("quarter LIKE '____-Q_'", name="ck_project_progress_quarter"),
        sa.CheckConstraint("ownership IN ('FDI', 'DDI')",
                           name="ck_project_progress_ownership"),
        sa.CheckConstraint("status IN ('building', 'operating', 'stopped')",
                           name="ck_project_progress_status"),
        sa.CheckConstraint(
            "(ownership = 'FDI' AND implemented_capital_bn_vnd IS NULL AND "
            "implemented_capital_musd IS NOT NULL) OR (ownership = 'DDI' AND "
            "implemented_capital_musd IS NULL AND implemented_capital_bn_vnd IS NOT NULL)",
            name="ck_project_progress_currency"),
        sa.CheckConstraint("implemented_capital_musd >= 0",
                           name="ck_project_progress_implemented_capital_musd_nonneg"),
        sa.CheckConstraint("implemented_capital_bn_vnd >= 0",
                           name="ck_project_progress_implemented_capital_bn_vnd_nonneg"),
    )
    op.create_index("ix_project_progress_quarter", "project_progress", ["quarter"])


def downgrade() -> None:
    op.drop_index("ix_project_progress_quarter", "project_progress")
    op.drop_table("project_progress")
