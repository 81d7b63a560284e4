"""Enterprises that moved to another zone: months before a move stay in the old zone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enterprise_moves",
        sa.Column("enterprise_id", sa.String(20), sa.ForeignKey("enterprises.enterprise_id"),
                  primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False, unique=True),
        sa.Column("from_zone", sa.String(40), sa.ForeignKey("zones.zone_id"), nullable=False),
        sa.Column("to_zone", sa.String(40), sa.ForeignKey("zones.zone_id"), nullable=False),
        sa.CheckConstraint("month LIKE '____-__'", name="ck_enterprise_moves_month"),
        sa.CheckConstraint("from_zone <> to_zone", name="ck_enterprise_moves_zones"),
    )


def downgrade() -> None:
    op.drop_table("enterprise_moves")
