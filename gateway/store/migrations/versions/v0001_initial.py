"""Initial schema: taxpayer tables, gateway operational tables, append-only log triggers.

This revision is the only place the append-only triggers on ``log_entry`` are
created. They make the database itself refuse to rewrite history, whatever
code (or person with a SQL prompt and the gateway's role) tries:

* SQLite: ``BEFORE UPDATE`` and ``BEFORE DELETE`` row triggers that
  ``RAISE(ABORT, ...)``.
* PostgreSQL: statement-level ``BEFORE UPDATE OR DELETE`` and
  ``BEFORE TRUNCATE`` triggers calling a function that raises; statement
  level, so that even an UPDATE matching no row is refused.

Revision ID: 0001
Revises:
Create Date: 2026-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

APPEND_ONLY_MESSAGE = "log_entry is append-only"

_SQLITE_TRIGGERS = (
    f"""
    CREATE TRIGGER log_entry_no_update BEFORE UPDATE ON log_entry
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER log_entry_no_delete BEFORE DELETE ON log_entry
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: DELETE refused'); END
    """,
)

_POSTGRES_TRIGGERS = (
    f"""
    CREATE FUNCTION log_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER log_entry_no_update_delete BEFORE UPDATE OR DELETE ON log_entry
    FOR EACH STATEMENT EXECUTE FUNCTION log_entry_append_only()
    """,
    """
    CREATE TRIGGER log_entry_no_truncate BEFORE TRUNCATE ON log_entry
    FOR EACH STATEMENT EXECUTE FUNCTION log_entry_append_only()
    """,
)


def _aware() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "taxpayer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tin", sa.String(), nullable=False),
        sa.Column("tin_type", sa.String(), nullable=False),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("middle_name", sa.String(), nullable=True),
        sa.Column("last_name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("confidential_informant", sa.Boolean(), nullable=False),
        sa.Column("tax_investigation_impairment", sa.Boolean(), nullable=False),
        sa.CheckConstraint("tin_type IN ('SSN', 'ITIN')", name="ck_taxpayer_tin_type"),
        sa.UniqueConstraint("tin"),
    )
    op.create_index("ix_taxpayer_name_key", "taxpayer", ["name_key"])
    op.create_index("ix_taxpayer_date_of_birth", "taxpayer", ["date_of_birth"])

    op.create_table(
        "address",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("taxpayer_id", sa.Integer(), sa.ForeignKey("taxpayer.id"), nullable=False),
        sa.Column("line1", sa.String(), nullable=False),
        sa.Column("line2", sa.String(), nullable=True),
        sa.Column("city", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("zip", sa.String(), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("taxpayer_supplied", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "source IN ('form_1040', 'form_w2', 'form_1099', 'form_8822', 'form_w7')",
            name="ck_address_source",
        ),
    )
    op.create_index("ix_address_taxpayer_id", "address", ["taxpayer_id"])
    op.create_index("ix_address_zip", "address", ["zip"])

    op.create_table(
        "tax_return",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("taxpayer_id", sa.Integer(), sa.ForeignKey("taxpayer.id"), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=False),
        sa.Column("filing_status", sa.String(), nullable=False),
        sa.Column("agi", sa.Integer(), nullable=False),
        sa.Column("employer", sa.String(), nullable=True),
        sa.Column("bank_account", sa.String(), nullable=True),
    )
    op.create_index("ix_tax_return_taxpayer_id", "tax_return", ["taxpayer_id"])

    op.create_table(
        "log_entry",
        sa.Column("idx", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", _aware(), nullable=False),
    )
    op.create_table(
        "lookup",
        sa.Column("decision_id", sa.String(), primary_key=True),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("agency_id", sa.String(), nullable=False),
        sa.Column("payload_sha256", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("response_json", sa.Text(), nullable=False),
        sa.Column("created_at", _aware(), nullable=False),
    )
    # Not unique: resubmitting a request is itself decided (GW-3) and answered again.
    op.create_index("ix_lookup_agency_request", "lookup", ["agency_id", "request_id"])
    op.create_index("ix_lookup_agency_payload", "lookup", ["agency_id", "payload_sha256"])
    op.create_table(
        "seen_token",
        sa.Column("jti", sa.String(), primary_key=True),
        sa.Column("agency_or_issuer", sa.String(), nullable=False),
        sa.Column("expires_at", _aware(), nullable=False),
    )

    dialect = op.get_bind().dialect.name
    statements: tuple[str, ...]
    if dialect == "sqlite":
        statements = _SQLITE_TRIGGERS
    elif dialect == "postgresql":
        statements = _POSTGRES_TRIGGERS
    else:
        raise RuntimeError(f"no append-only triggers for the {dialect} dialect")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    # Going below this revision would drop the decision log; no code path may do that.
    raise NotImplementedError("the initial schema holds the decision log and is never dropped")
