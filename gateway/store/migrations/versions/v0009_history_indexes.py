"""Indexes that keep the replay checks' cost independent of history (issue 11 item 2).

* ``lookup (agency_id, payload_sha256, created_at)`` and ``lookup (agency_id,
  subjects_digest, created_at)`` replace the two-column indexes of 0001 and
  0003: the duplicate check (GW-3b, ``gateway.store.lookups``) is two probes,
  each the newest row of one digest inside the window, which the database
  answers by walking one index range backwards from its end. Before, one
  statement asked for either digest, and both engines read every lookup of the
  agency to answer it.
* ``lookup (agency_id, request_id, created_at)`` replaces ``(agency_id,
  request_id)``: the newest answer to a request id without a sort. Not unique:
  a resubmitted request id is itself decided (GW-3) and stored again.
* ``seen_token (expires_at)``: the periodic sweep of expired token ids
  (``gateway.store.token_uses``) deletes a range instead of reading the table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

_LOOKUP_INDEXES = (
    ("ix_lookup_agency_request", "request_id"),
    ("ix_lookup_agency_payload", "payload_sha256"),
    ("ix_lookup_agency_subjects", "subjects_digest"),
)


def upgrade() -> None:
    for name, column in _LOOKUP_INDEXES:
        op.drop_index(name, table_name="lookup")
        op.create_index(name, "lookup", ["agency_id", column, "created_at"])
    op.create_index("ix_seen_token_expires_at", "seen_token", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_token_expires_at", table_name="seen_token")
    for name, column in _LOOKUP_INDEXES:
        op.drop_index(name, table_name="lookup")
        op.create_index(name, "lookup", ["agency_id", column])
