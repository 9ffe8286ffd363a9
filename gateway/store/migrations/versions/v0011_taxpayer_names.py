"""Name-only search from distinct first names per surname; name and birth date indexed together.

* ``taxpayer_name``: one row per normalised surname with the count of its
  records, the OR of their flags, the smallest taxpayer id and their distinct
  normalised first names with middle initials, packed in one text column
  (``gateway.store.models.TaxpayerName``). A name-only search reads that one
  row instead of every record of the surname: a common surname is thousands
  of records at a million taxpayers (issue 11 item 2). Filled here from the
  taxpayers already stored, in Python, because the normalisation is Python's
  (``gateway.store.names``); seed and import keep it up to date afterwards.
* ``taxpayer (name_key, date_of_birth)``: a chunk of name and birth-date
  searches is one statement with an IN list of pairs (issue 11 item 3).

On PostgreSQL the writer role gets UPDATE and DELETE on the new table (0010's
default privileges make a new table append-only): an import rewrites the rows
of the surnames it touched.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

WRITER = "gateway_writer"


def upgrade() -> None:
    op.create_table(
        "taxpayer_name",
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("confidential_informant", sa.Boolean(), nullable=False),
        sa.Column("tax_investigation_impairment", sa.Boolean(), nullable=False),
        sa.Column("taxpayer_id", sa.Integer(), nullable=False),
        sa.Column("first_names", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name_key"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_taxpayer_name_key_dob", "taxpayer", ["name_key", "date_of_birth"])
    bind = op.get_bind()
    # Imported here, not at the top: only a migration that has rows to derive needs it.
    from gateway.store.bulk import refresh_taxpayer_names

    refresh_taxpayer_names(bind)
    if bind.dialect.name == "postgresql":
        exists = bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": WRITER})
        if exists.first() is not None:
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON taxpayer_name TO {WRITER}")


def downgrade() -> None:
    op.drop_index("ix_taxpayer_name_key_dob", table_name="taxpayer")
    op.drop_table("taxpayer_name")
