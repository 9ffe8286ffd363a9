"""An index for the household check: ``address (zip, upper(line1))``.

Resolving a subject counts the other taxpayers at its last known address
(``gateway.store.taxpayers``). With only the ZIP code indexed, that count read
every address of the ZIP code: ~350 rows at a million taxpayers, 10 ms, paid
only for a person on file, which made a denied person on file measurably
slower to answer than a person who is not (issue 8, ``bench/oracle.py``). With
the case-folded first line in the index it reads the household alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_address_household", "address", ["zip", sa.text("upper(line1)")])


def downgrade() -> None:
    op.drop_index("ix_address_household", table_name="address")
