"""The signed-in pages' sessions in the database: ``web_session``.

``gateway serve --workers N`` runs N processes; a session kept in one process's
memory was unknown to the others, so a browser signed in on one worker was sent
back to the sign-in page by the next, and a sign-out ended the session in one
worker only. The table (``gateway.web.sessions``) holds each session under a
hash of its cookie value, with its area, person, CSRF token and expiry.

Unlike the evidence tables a session is deleted (sign-out, expiry): on
PostgreSQL the writer role gets DELETE on this table, which the default
privileges of v0010 (SELECT, INSERT) do not give.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

WRITER = "gateway_writer"


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("area", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("csrf_token", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_session_expires_at", "web_session", ["expires_at"])
    op.create_index("ix_web_session_area_created", "web_session", ["area", "created_at"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        exists = bind.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": WRITER})
        if exists.first() is not None:
            op.execute(f"GRANT SELECT, INSERT, DELETE ON web_session TO {WRITER}")


def downgrade() -> None:
    op.drop_index("ix_web_session_area_created", table_name="web_session")
    op.drop_index("ix_web_session_expires_at", table_name="web_session")
    op.drop_table("web_session")
