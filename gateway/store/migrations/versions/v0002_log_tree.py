"""Decision-log tree nodes and signed checkpoints, both append-only.

* ``log_node``: every complete subtree hash of the RFC 9162 tree (leaves
  included), keyed by its in-order position, so a proof or root at any size
  is one indexed read of O(log n) rows (see ``gateway.audit.log``).
* ``log_checkpoint``: the signed checkpoints the log published.

This revision is the only place the append-only triggers of these two tables
are created; they are the same as ``log_entry``'s (v0001): SQLite row triggers
that abort UPDATE and DELETE, PostgreSQL statement triggers that raise on
UPDATE, DELETE and TRUNCATE.

A database that already holds leaves gets their tree nodes computed here, in
the same transaction, so the tree is complete from the first start on v0002.

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.audit.merkle import CompactRange

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

TABLES = ("log_node", "log_checkpoint")
_BACKFILL_BATCH = 10_000


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


_POSTGRES_FUNCTION = """
    CREATE FUNCTION log_table_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$
"""


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


def _node_pos(level: int, index: int) -> int:
    return (index << (level + 1)) + (1 << level) - 1


def _backfill_nodes() -> None:
    bind = op.get_bind()
    entry = sa.table("log_entry", sa.column("idx", sa.BigInteger), sa.column("leaf_hash"))
    node = sa.table("log_node", sa.column("pos", sa.BigInteger), sa.column("hash"))
    tree = CompactRange()
    last = -1
    while True:
        rows = bind.execute(
            sa.select(entry.c.idx, entry.c.leaf_hash)
            .where(entry.c.idx > last)
            .order_by(entry.c.idx)
            .limit(_BACKFILL_BATCH)
        ).all()
        if not rows:
            return
        nodes: list[dict[str, object]] = []
        for idx, leaf in rows:
            if idx != tree.size:
                raise RuntimeError(f"log_entry is not contiguous: index {tree.size} is missing")
            nodes.extend(
                {"pos": _node_pos(s.level, s.index), "hash": s.hash}
                for s in tree.append(bytes(leaf))
            )
            last = idx
        bind.execute(sa.insert(node), nodes)


def upgrade() -> None:
    op.create_table(
        "log_node",
        sa.Column("pos", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "log_checkpoint",
        sa.Column("size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    _backfill_nodes()

    dialect = op.get_bind().dialect.name
    statements: list[str] = []
    if dialect == "sqlite":
        for table in TABLES:
            statements.extend(_sqlite_triggers(table))
    elif dialect == "postgresql":
        statements.append(_POSTGRES_FUNCTION)
        for table in TABLES:
            statements.extend(_postgres_triggers(table))
    else:
        raise RuntimeError(f"no append-only triggers for the {dialect} dialect")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    # The tree and the signed checkpoints are evidence; no code path may drop them.
    raise NotImplementedError("the decision log's tree and checkpoints are never dropped")
