"""The auditors' projection of the decision log (``gateway.auditing.tables``).

Derived tables, not evidence: they are rebuilt from the log by
``gateway audit rebuild-projection`` and updated in place, so they get no
append-only triggers. Created empty with ``next_index`` 0: the first append
(or the gateway's start) projects every leaf already in the log before its own.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_projection",
        sa.Column("decision_id", sa.String(), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency", sa.String(), nullable=False),
        sa.Column("official", sa.String(), nullable=True),
        sa.Column("legal_basis", sa.String(), nullable=True),
        sa.Column("purpose", sa.String(), nullable=True),
        sa.Column("policy_revision", sa.String(), nullable=True),
        sa.Column("request_rules", sa.Text(), nullable=False),
        sa.Column("decision_outcome", sa.String(), nullable=False),
        sa.Column("decision_final_outcome", sa.String(), nullable=False),
        sa.Column("taxpayer", sa.String(), nullable=True),
        sa.Column("subject_outcome", sa.String(), nullable=False),
        sa.Column("final_outcome", sa.String(), nullable=False),
        sa.Column("subject_rules", sa.Text(), nullable=False),
        sa.Column("released", sa.Text(), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=True),
        sa.Column("review_action", sa.String(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_officer", sa.String(), nullable=True),
        sa.Column("review_log_index", sa.BigInteger(), nullable=True),
    )
    for name, columns in (
        ("ix_audit_projection_log", ["log_index", "position"]),
        ("ix_audit_projection_decided", ["decided_at"]),
        ("ix_audit_projection_agency", ["agency", "log_index"]),
        ("ix_audit_projection_official", ["official", "log_index"]),
        ("ix_audit_projection_final", ["final_outcome", "log_index"]),
        ("ix_audit_projection_basis", ["legal_basis", "log_index"]),
        ("ix_audit_projection_purpose", ["purpose", "log_index"]),
        ("ix_audit_projection_taxpayer", ["taxpayer"]),
    ):
        op.create_index(name, "audit_projection", columns)
    op.create_table(
        "audit_projection_rule",
        sa.Column("decision_id", sa.String(), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("rule", sa.String(), primary_key=True),
    )
    op.create_index(
        "ix_audit_projection_rule_rule",
        "audit_projection_rule",
        ["rule", "decision_id", "position"],
    )
    op.create_table(
        "audit_projection_state",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("next_index", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO audit_projection_state (id, next_index) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("audit_projection_state")
    op.drop_table("audit_projection_rule")
    op.drop_table("audit_projection")
