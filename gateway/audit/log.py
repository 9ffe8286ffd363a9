"""Append-only decision log storage: ``append`` returns a durable index or raises.

Indices are contiguous from 0 and assigned inside the same transaction that
writes the leaf, under a process-wide lock; the primary key refuses a second
writer that raced for the same index, so an index is never reused. The table
itself rejects UPDATE and DELETE (triggers installed by the migration).

The Merkle tree, signed checkpoints and group commit build on this table in
their own module; this one only guarantees "durable before disclosed".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.audit.merkle import leaf_hash
from gateway.errors import AuditLogUnavailableError
from gateway.store.db import write_transaction
from gateway.store.models import SQLModel

_log_table = SQLModel.metadata.tables["log_entry"]


@dataclass(frozen=True)
class StoredEntry:
    index: int
    kind: str
    body: bytes
    leaf_hash: bytes
    created_at: datetime


class DecisionLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()

    def append(self, kind: str, body: bytes, *, at: datetime) -> int:
        """Write one leaf and commit; the returned index is durable."""
        try:
            with self._lock, write_transaction(self._engine) as conn:
                nxt = conn.execute(
                    select(func.coalesce(func.max(_log_table.c.idx) + 1, 0))
                ).scalar_one()
                conn.execute(
                    insert(_log_table).values(
                        idx=nxt, kind=kind, body=body, leaf_hash=leaf_hash(body), created_at=at
                    )
                )
        except SQLAlchemyError as exc:
            raise AuditLogUnavailableError("the decision could not be written to the log") from exc
        return int(nxt)

    def size(self) -> int:
        try:
            with self._engine.connect() as conn:
                # Indices are contiguous from 0, so max + 1 is the size without a full count.
                top = conn.execute(select(func.max(_log_table.c.idx))).scalar_one()
                return 0 if top is None else int(top) + 1
        except SQLAlchemyError as exc:
            raise AuditLogUnavailableError("the decision log cannot be read") from exc

    def entries(self, start: int, end: int) -> list[StoredEntry]:
        """Leaves with start <= index < end, in order."""
        t = _log_table
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(t.c.idx, t.c.kind, t.c.body, t.c.leaf_hash, t.c.created_at)
                .where(t.c.idx >= start, t.c.idx < end)
                .order_by(t.c.idx)
            ).all()
        return [StoredEntry(int(r[0]), r[1], bytes(r[2]), bytes(r[3]), r[4]) for r in rows]
