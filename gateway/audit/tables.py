"""The decision log's own tables, defined by the log and nobody else.

* ``log_entry``: the leaves, the exact canonical bytes and their RFC 9162 leaf
  hash. ``idx`` is assigned by the log writer, contiguous from 0.
* ``log_node``: every complete subtree hash of the Merkle tree, leaves
  included, keyed by its in-order ("flat tree") position: the subtree of
  ``2**level`` leaves starting at leaf ``index * 2**level`` sits at
  ``pos = index * 2**(level + 1) + 2**level - 1`` (so leaf ``i`` is at ``2*i``).
  Every level is stored, so that any proof or root is one indexed read of
  O(log n) rows.
* ``log_checkpoint``: the signed checkpoints the log published (C2SP signed
  notes of origin, size and root), one per tree size; sizes only ever grow.

All three are append-only: triggers that only the migrations create (v0001 for
``log_entry``, v0002 for the others) reject UPDATE and DELETE, and TRUNCATE on
PostgreSQL. They are plain SQLAlchemy Core tables in the log's own
:data:`metadata`, not the datastore's table models, so that ``gateway.audit``
never imports ``gateway.store`` (the import contracts in ``pyproject.toml``).
``tests/unit/store/test_store_schema.py`` compares them with the migrations.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, LargeBinary, MetaData, String, Table, Text

from gateway.db import AwareDateTime

metadata = MetaData()

LOG_ENTRY = Table(
    "log_entry",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("created_at", AwareDateTime, nullable=False),
)

LOG_NODE = Table(
    "log_node",
    metadata,
    Column("pos", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

LOG_CHECKPOINT = Table(
    "log_checkpoint",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", AwareDateTime, nullable=False),
)

LOG_TABLES = (LOG_ENTRY, LOG_NODE, LOG_CHECKPOINT)
"""The decision log's tables; all append-only, enforced by triggers."""
