"""The exchange tables (zones, zone land, enterprises, monthly reports, plans, projects).

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

FIGURES = ("production_value", "revenue", "export_value", "import_value", "budget_paid",
           "workers", "female_workers", "foreign_workers", "avg_income")


def _month(table: str, column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} LIKE '____-__'", name=f"ck_{table}_{column}")


def _nonneg(table: str, column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} >= 0", name=f"ck_{table}_{column}_nonneg")


def _one_currency(table: str, musd: str, bn_vnd: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"(ownership = 'FDI' AND {bn_vnd} IS NULL) OR (ownership = 'DDI' AND {musd} IS NULL)",
        name=f"ck_{table}_currency")


def upgrade() -> None:
    op.create_table(
        "zones",
        sa.Column("zone_id", sa.String(40), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(3), nullable=False),
        sa.Column("district", sa.String(120)),
        sa.Column("total_area_ha", sa.Float),
        sa.Column("industrial_land_ha", sa.Float),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("established", sa.String(10)),
        sa.Column("operating_from", sa.String(7)),
        sa.CheckConstraint("kind IN ('KCN', 'CCN')", name="ck_zones_kind"),
        sa.CheckConstraint("status IN ('operating', 'filling', 'building', 'planned')",
                           name="ck_zones_status"),
        _nonneg("zones", "total_area_ha"), _nonneg("zones", "industrial_land_ha"),
    )
    op.create_table(
        "zone_land",
        sa.Column("zone_id", sa.String(40), sa.ForeignKey("zones.zone_id"), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False, unique=True),
        sa.Column("leased_ha", sa.Float, nullable=False),
        _month("zone_land", "month"), _nonneg("zone_land", "leased_ha"),
    )
    op.create_table(
        "enterprises",
        sa.Column("enterprise_id", sa.String(20), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tax_code", sa.String(14), nullable=False),
        sa.Column("zone_id", sa.String(40), sa.ForeignKey("zones.zone_id"), nullable=False),
        sa.Column("vsic", sa.String(2), nullable=False),
        sa.Column("sector", sa.String(200), nullable=False),
        sa.Column("ownership", sa.String(3), nullable=False),
        sa.Column("investor_country", sa.String(80), nullable=False),
        sa.Column("registered_capital_musd", sa.Float),
        sa.Column("registered_capital_bn_vnd", sa.Float),
        sa.Column("start_month", sa.String(7), nullable=False),
        sa.Column("end_month", sa.String(7)),
        sa.CheckConstraint("ownership IN ('FDI', 'DDI')", name="ck_enterprises_ownership"),
        _one_currency("enterprises", "registered_capital_musd", "registered_capital_bn_vnd"),
        _month("enterprises", "start_month"),
        sa.CheckConstraint("end_month IS NULL OR end_month >= start_month",
                           name="ck_enterprises_span"),
    )
    op.create_table(
        "monthly_reports",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("enterprise_id", sa.String(20), sa.ForeignKey("enterprises.enterprise_id"),
                  primary_key=True),
        *(sa.Column(n, sa.Integer if n.endswith("workers") else sa.Float, nullable=False)
          for n in FIGURES),
        _month("monthly_reports", "month"),
        *(_nonneg("monthly_reports", n) for n in FIGURES),
        sa.CheckConstraint("female_workers <= workers AND foreign_workers <= workers",
                           name="ck_monthly_reports_workers"),
    )
    op.create_table(
        "plans",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("scope", sa.String(40), primary_key=True),
        sa.Column("indicator", sa.String(20), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False, unique=True),
        sa.Column("target", sa.Float, nullable=False),
        sa.Column("unit", sa.String(6), nullable=False),
        sa.CheckConstraint("indicator IN ('production_value', 'revenue', 'export_value', "
                           "'import_value', 'budget_paid')", name="ck_plans_indicator"),
        sa.CheckConstraint("(unit = 'musd' AND indicator IN ('export_value', 'import_value')) "
                           "OR (unit = 'bn_vnd' AND indicator NOT IN ('export_value', "
                           "'import_value'))", name="ck_plans_unit"),
        _nonneg("plans", "target"),
    )
    op.create_table(
        "projects",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("project_id", sa.String(20), nullable=False),
        sa.Column("certificate_date", sa.String(10), nullable=False),
        sa.Column("zone_id", sa.String(40), sa.ForeignKey("zones.zone_id"), nullable=False),
        sa.Column("enterprise_id", sa.String(20), sa.ForeignKey("enterprises.enterprise_id")),
        sa.Column("ownership", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("investor_country", sa.String(80), nullable=False),
        sa.Column("capital_musd", sa.Float),
        sa.Column("capital_bn_vnd", sa.Float),
        sa.Column("land_ha", sa.Float),
        sa.CheckConstraint("ownership IN ('FDI', 'DDI')", name="ck_projects_ownership"),
        sa.CheckConstraint("kind IN ('new', 'increase', 'decrease', 'revoked')",
                           name="ck_projects_kind"),
        sa.CheckConstraint("certificate_date LIKE '____-__-__'", name="ck_projects_date"),
        _one_currency("projects", "capital_musd", "capital_bn_vnd"),
        _nonneg("projects", "capital_musd"), _nonneg("projects", "capital_bn_vnd"),
        _nonneg("projects", "land_ha"),
    )
    op.create_index("ix_projects_project_id", "projects", ["project_id"])


def downgrade() -> None:
    for table in ("projects", "plans", "monthly_reports", "enterprises", "zone_land", "zones"):
        op.drop_table(table)
