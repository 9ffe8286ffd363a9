"""What a token's first use fixed it for: ``seen_token.first_use``.

Read-only calls accept one token until it expires, state-changing calls
spend it (``gateway.auth.tokens``, check 5); the replay memory therefore
keeps, beside each ``jti``, whether its first use was a ``read`` or a
``write``. Rows recorded before this revision were all spent by their use
(every token was single-use then), so they become ``write``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("seen_token") as batch:
        batch.add_column(
            sa.Column("first_use", sa.String(), nullable=False, server_default="write")
        )


def downgrade() -> None:
    with op.batch_alter_table("seen_token") as batch:
        batch.drop_column("first_use")
