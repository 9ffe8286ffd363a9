"""The court-order registry: orders verified against the docket, one row per version.

``court_order_record`` is append-only, like the decision log's tables: a
correction is a new row (the next ``version`` of the same ``match_key``,
naming the row it ``supersedes``), never an UPDATE that would lose what an
earlier decision relied on. The triggers are created here and only here:

* SQLite: ``BEFORE UPDATE`` and ``BEFORE DELETE`` row triggers that abort;
* PostgreSQL: statement-level triggers calling ``log_table_append_only()``
  (created by v0002), which names the table in its error, on UPDATE, DELETE
  and TRUNCATE.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "court_order_record"

_SQLITE_TRIGGERS = (
    f"""
    CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: DELETE refused'); END
    """,
)

_POSTGRES_TRIGGERS = (
    f"""
    CREATE TRIGGER {TABLE}_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION log_table_append_only()
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION log_table_append_only()
    """,
)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("match_key", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes", sa.String(), sa.ForeignKey(f"{TABLE}.id"), nullable=True),
        sa.Column("order_type", sa.String(), nullable=False),
        sa.Column("court", sa.String(), nullable=False),
        sa.Column("court_type", sa.String(), nullable=False),
        sa.Column("judge", sa.String(), nullable=False),
        sa.Column("judge_type", sa.String(), nullable=False),
        sa.Column("docket_number", sa.String(), nullable=False),
        sa.Column("applicant_authorizer_role", sa.String(), nullable=False),
        sa.Column("covered_tins_json", sa.Text(), nullable=False),
        sa.Column("covered_taxable_periods_json", sa.Text(), nullable=False),
        sa.Column("covered_data_json", sa.Text(), nullable=False),
        sa.Column("named_recipients_json", sa.Text(), nullable=False),
        sa.Column("warrant_type", sa.String(), nullable=True),
        sa.Column("warrant_offense_class", sa.String(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verification_source", sa.Text(), nullable=False),
        sa.Column("verification_note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_by_role", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("supersedes"),
    )
    op.create_index(
        "ux_court_order_record_key_version", TABLE, ["match_key", "version"], unique=True
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = _SQLITE_TRIGGERS
    elif dialect == "postgresql":
        statements = _POSTGRES_TRIGGERS
    else:
        raise RuntimeError(f"no append-only triggers for the {dialect} dialect")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    # The registry is the evidence behind past decisions; no code path may drop it.
    raise NotImplementedError("the court-order registry is never dropped")
