"""The human review queue, and the subjects digest that finds duplicate asks (GW-3b).

``review_item`` holds subjects the policy sent to a disclosure officer; it is
mutable on purpose (a pending row is settled once), the actions themselves
being leaves of the append-only decision log. ``lookup.subjects_digest``
identifies the same (agency, taxpayer, periods) asked again under a new body.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "review_item",
        sa.Column("decision_id", sa.String(), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("agency_id", sa.String(), nullable=False),
        sa.Column("legal_basis", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("taxpayer_id", sa.Integer(), nullable=True),
        sa.Column("release_tax_year", sa.Integer(), nullable=True),
        sa.Column("findings_json", sa.Text(), nullable=False),
        sa.Column("obligations_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("officer", sa.String(), nullable=True),
        sa.Column("log_index", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_review_item_status", "review_item", ["status", "created_at"])
    op.add_column("lookup", sa.Column("subjects_digest", sa.String(), nullable=True))
    op.create_index("ix_lookup_agency_subjects", "lookup", ["agency_id", "subjects_digest"])


def downgrade() -> None:
    op.drop_index("ix_lookup_agency_subjects", table_name="lookup")
    op.drop_column("lookup", "subjects_digest")
    op.drop_index("ix_review_item_status", table_name="review_item")
    op.drop_table("review_item")
