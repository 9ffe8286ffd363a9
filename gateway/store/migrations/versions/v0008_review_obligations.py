"""Obligations before a release: court-notice filings and first approvals (issue 10).

``court_notice_filing`` records, per decision, that the court notice its
``COURT_NOTICE`` obligation demands was filed (who, when, with which court,
under which reference); an item carrying that obligation cannot be approved
before. ``review_first_approval`` holds the first officer's approval of a
subject that needs two (DHS, injunction rules); another officer's approval
releases. Both are evidence for a release, so both are append-only (the same
triggers as the court-order registry, v0004); each row's action is also a
leaf of the decision log.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

TABLES = ("court_notice_filing", "review_first_approval")


def _sqlite_triggers(table: str) -> tuple[str, ...]:
    return (
        f"""
        CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END
        """,
        f"""
        CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END
        """,
    )


def _postgres_triggers(table: str) -> tuple[str, ...]:
    return (
        f"""
        CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION log_table_append_only()
        """,
        f"""
        CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION log_table_append_only()
        """,
    )


def upgrade() -> None:
    op.create_table(
        "court_notice_filing",
        sa.Column("decision_id", sa.String(), primary_key=True),
        sa.Column("filed_by", sa.String(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("court", sa.String(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_by_role", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "review_first_approval",
        sa.Column("decision_id", sa.String(), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("officer", sa.String(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        make = _sqlite_triggers
    elif dialect == "postgresql":
        make = _postgres_triggers
    else:
        raise RuntimeError(f"no append-only triggers for the {dialect} dialect")
    for table in TABLES:
        for statement in make(table):
            op.execute(statement)


def downgrade() -> None:
    # Evidence that releases were preceded by notice and two approvals: never dropped.
    raise NotImplementedError("court-notice filings and first approvals are never dropped")
