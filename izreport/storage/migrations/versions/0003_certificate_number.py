"""Investment certificates carry their number (Số GCNĐKĐT), unique when given.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("certificate_no", sa.String(40)))
    op.create_index("ix_projects_certificate_no", "projects", ["certificate_no"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_projects_certificate_no", "projects")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("certificate_no")
