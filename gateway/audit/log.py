"""Append-only decision log storage: ``append`` returns a durable index or raises.

What this module guarantees, on SQLite and PostgreSQL alike:

* **Durable before disclosed.** :meth:`DecisionLog.append` returns only after
  the transaction holding the leaf has committed (SQLite ``synchronous=FULL``
  in WAL mode, PostgreSQL's default synchronous commit: the commit is
  fsync'd). Any failure raises
  :class:`~gateway.errors.AuditLogUnavailableError` and no index.
* **Group commit.** Concurrent callers are batched: while one thread (the
  leader) commits a batch, the others queue; the next leader takes the whole
  queue (up to ``max_batch``) into one transaction and one fsync. Throughput
  therefore grows with concurrency instead of collapsing to one fsync per
  request.
* **Contiguous indices, never reused.** Indices are assigned inside the
  writing transaction, after taking the log's write lock (SQLite
  ``BEGIN IMMEDIATE``; a PostgreSQL advisory transaction lock shared by every
  replica), from the stored size. A batch that does not commit returned no
  index to anyone, so after a crash the next index is the stored size again;
  the primary key refuses a second writer for the same index.
* **Tree stored as complete subtrees.** Each append writes, in the same
  transaction as the leaf, every complete subtree hash it completes
  (``log_node``; leaves are level 0), keyed by in-order position
  (:func:`node_position`). Any root, inclusion or consistency proof at any
  size is then computed from O(log n) stored hashes fetched in one indexed
  query (:meth:`DecisionLog.inclusion_proof` and friends), whatever the size.
* **One answer, one transaction.** A leaf may carry a *companion*: a
  function that writes the rows its leaf vouches for (the agency's stored
  answer, review rows, a settled review) with the leaf's index, in the very
  transaction that inserts the leaf. If a companion raises, its writes and its
  leaf are left out of the batch (the leaf gets no index, its caller gets the
  companion's error, or :class:`~gateway.errors.AuditLogUnavailableError` for
  a database error) and the rest of the batch commits: the batch is written
  first without savepoints, and only if a companion fails is it rolled back and
  written again with each companion under its own SAVEPOINT. So no durable
  leaf ever lacks its rows, and no request sinks the others it shares a commit
  with. Indices are assigned after the companions that failed have been
  dropped, so they stay contiguous.
* **Leaf writers** (:meth:`DecisionLog.add_leaf_writer`) see every batch's
  leaves, in the same transaction, after the leaves and tree nodes are
  inserted (e.g. a projection kept in step with the log). They write for the
  whole batch at once, so a failing leaf writer fails the whole batch closed:
  nothing of it is durable and every caller in it gets
  :class:`~gateway.errors.AuditLogUnavailableError`.
* **Many replicas, one log, no leader.** Every process appends its own
  decisions; one transaction at a time, across every host, holds the log's
  write lock, and the lock lives exactly as long as that transaction. A
  process that dies closes its connection and PostgreSQL rolls its batch back
  (leaves, nodes and companions together) and releases the lock at once; one
  that freezes with its connection open is cut off by the server after
  ``idle_in_transaction_session_timeout`` (:mod:`gateway.db`). No lease is
  needed, and a lease would be weaker: the right to write and the writes are
  one transaction, so a holder cut off while paused has lost its writes with
  its lock and its commit fails (no index is disclosed), where a lease's
  holder waking after expiry would need a fencing check inside every write,
  which is this lock again. ``tests/e2e/test_many_hosts.py`` runs four
  gateways on one log and kills one with -9 midway.
* The three log tables reject UPDATE and DELETE (and TRUNCATE on PostgreSQL)
  by triggers that only the migrations create.

Checkpoint signing builds on this in :mod:`gateway.audit.checkpoints`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway import metrics
from gateway.audit.merkle import (
    HASH_SIZE,
    CompactRange,
    GetNode,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_nodes,
)
from gateway.audit.tables import LOG_ENTRY, LOG_NODE
from gateway.db import rolled_back_write, write_transaction
from gateway.errors import AuditLogUnavailableError, GatewayError

__all__ = [
    "APPEND_LOCK_KEY",
    "DEFAULT_MAX_BATCH",
    "AppendedLeaf",
    "Companion",
    "DecisionLog",
    "LeafWriter",
    "StoredEntry",
    "node_position",
]

_entry = LOG_ENTRY
_node = LOG_NODE

APPEND_LOCK_KEY = 0x6C6F_6761_7070_656E  # "logappen": PostgreSQL advisory lock, shared by replicas
DEFAULT_MAX_BATCH = 2000
"""Most leaves one group commit writes; bounds a transaction's size and the IN lists."""

_READ_CHUNK = 500
# Built once: SQLAlchemy caches the compiled SQL either way, but building the statement
# object costs about as much again as executing a small one (10-25 us each on SQLite).
_SIZE = select(func.max(_entry.c.idx))
_INSERT_ENTRY = insert(_entry)
_INSERT_NODE = insert(_node)
_PLACEHOLDER = bytes(HASH_SIZE)
T = TypeVar("T")


def node_position(level: int, index: int) -> int:
    """In-order position of the subtree of ``2**level`` leaves starting at ``index * 2**level``.

    Leaf ``i`` is at ``2*i``; a parent sits between its children. Distinct for
    every (level, index), so one integer key addresses the whole tree.
    """
    return (index << (level + 1)) + (1 << level) - 1


@dataclass(frozen=True)
class StoredEntry:
    index: int
    kind: str
    body: bytes
    leaf_hash: bytes
    created_at: datetime


@dataclass(frozen=True)
class AppendedLeaf:
    """A leaf as written in the current append transaction (not yet committed)."""

    index: int
    kind: str
    body: bytes
    at: datetime


LeafWriter = Callable[[Connection, Sequence[AppendedLeaf]], None]
"""Called in every append transaction with the batch's leaves, after they are inserted."""

Companion = Callable[[Connection, int], None]
"""Writes one leaf's own rows, given the leaf's index, in the leaf's transaction."""


@dataclass(eq=False)
class _Pending:
    kind: str
    body: bytes
    at: datetime
    leaf_hash: bytes
    companion: Companion | None = None
    index: int | None = None
    error: Exception | None = None
    done: bool = field(default=False)


def read_size(conn: Connection) -> int:
    """Number of leaves stored (indices are contiguous, so max + 1)."""
    top = conn.execute(_SIZE).scalar_one()
    return 0 if top is None else int(top) + 1


def read_nodes(conn: Connection, wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Stored hashes of the complete subtrees ``wanted`` (as ``(level, index)``), in one query.

    Raises :class:`AuditLogUnavailableError` if one is missing: the stored tree is damaged.
    """
    by_pos = {node_position(level, index): (level, index) for level, index in wanted}
    found: dict[tuple[int, int], bytes] = {}
    positions = list(by_pos)
    for start in range(0, len(positions), _READ_CHUNK):
        chunk = positions[start : start + _READ_CHUNK]
        for pos, h in conn.execute(select(_node.c.pos, _node.c.hash).where(_node.c.pos.in_(chunk))):
            found[by_pos[int(pos)]] = bytes(h)
    if len(found) != len(by_pos):
        missing = sorted(set(by_pos.values()) - set(found))[0]
        raise AuditLogUnavailableError(
            f"the decision log's tree lacks the subtree at level {missing[0]}, index {missing[1]}"
        )
    return found


def with_nodes(conn: Connection, compute: Callable[[GetNode], T]) -> T:
    """Run ``compute(get_node)`` against the stored tree with a single read.

    ``compute`` runs twice: first with placeholder hashes to learn which
    subtrees it needs (the proof and root functions of :mod:`gateway.audit.merkle`
    ask for the same positions whatever the hashes are), then with those
    subtrees read in one query.
    """
    wanted: list[tuple[int, int]] = []

    def record(level: int, index: int) -> bytes:
        wanted.append((level, index))
        return _PLACEHOLDER

    compute(record)
    found = read_nodes(conn, wanted)
    return compute(lambda level, index: found[(level, index)])


def lock_for_append(conn: Connection) -> None:
    """Take the log's write lock for this transaction (SQLite: ``BEGIN IMMEDIATE`` already did)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY})")


class DecisionLog:
    """The decision log: durable appends with group commit, and proofs from the stored tree."""

    def __init__(self, engine: Engine, *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._engine = engine
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: deque[_Pending] = deque()
        self._writing = False
        # The frontier after the last batch this process committed; only the
        # leader touches it, and it is checked against the stored size each time.
        self._tree: CompactRange | None = None
        self._commits = 0
        self._leaf_writers: list[LeafWriter] = []

    def add_leaf_writer(self, writer: LeafWriter) -> None:
        """Have ``writer`` run in every later append transaction, after the leaves are in.

        A writer that raises fails its whole batch (nothing of it is durable), so it
        should only write rows derived from the leaves, never refuse them.
        """
        with self._cond:
            self._leaf_writers.append(writer)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def queued(self) -> int:
        """Leaves waiting for the next group commit."""
        with self._cond:
            return len(self._queue)

    @property
    def committing(self) -> bool:
        """True while a leader is writing a batch."""
        with self._cond:
            return self._writing

    @property
    def commits(self) -> int:
        """Transactions this process committed to the log (each one fsync, many leaves)."""
        return self._commits

    # -- appending -------------------------------------------------------------------------

    def append(
        self,
        kind: str,
        body: bytes,
        *,
        at: datetime,
        companion: Companion | None = None,
    ) -> int:
        """Write one leaf; the returned index is durable (committed and fsync'd).

        ``companion(conn, index)`` writes the rows this leaf vouches for in the same
        transaction; the leaf is durable exactly when they are. It may run more than
        once (a batch is written again when another request's companion fails) and
        its writes are undone whenever its transaction does not commit, so it must do
        nothing but write through ``conn``.

        Raises :class:`AuditLogUnavailableError` if the leaf could not be made
        durable, or the companion's own :class:`~gateway.errors.GatewayError` (e.g. a
        conflict it found); either way no leaf was written.
        """
        return self._submit([_Pending(kind, body, at, leaf_hash(body), companion)])[0]

    def append_many(self, items: Sequence[tuple[str, bytes, datetime]]) -> list[int]:
        """Write several leaves (kind, body, at) in order; their indices are consecutive."""
        if not items:
            return []
        return self._submit([_Pending(k, b, at, leaf_hash(b)) for k, b, at in items])

    def _submit(self, mine: list[_Pending]) -> list[int]:
        with self._cond:
            self._queue.extend(mine)
            while not mine[-1].done:
                if self._writing:
                    self._cond.wait()
                    continue
                # Become the leader: take everything queued, up to max_batch.
                self._writing = True
                take = min(len(self._queue), self._max_batch)
                batch = [self._queue.popleft() for _ in range(take)]
                self._cond.release()
                try:
                    metrics.timed_log_commit(self._commit, batch)
                finally:
                    self._cond.acquire()
                    for p in batch:
                        p.done = True
                    self._writing = False
                    self._cond.notify_all()
        indices: list[int] = []
        for p in mine:
            if p.error is not None:
                raise p.error
            if p.index is None:  # a leader always sets one or the other
                raise AuditLogUnavailableError("the decision could not be written to the log")
            indices.append(p.index)
        return indices

    def _commit(self, batch: list[_Pending]) -> None:
        """Write the batch in one transaction; isolate failing companions only if one fails.

        The first attempt runs every companion directly (a SAVEPOINT each would cost
        as much as the companion itself). If one fails, that attempt is rolled back
        whole and the batch is written again with each companion under its own
        SAVEPOINT, so that only the failing requests are left out.
        """
        try:
            try:
                self._attempt(batch, isolate=False)
            except _CompanionFailedError:
                for p in batch:
                    p.index, p.error = None, None
                self._attempt(batch, isolate=True)
        except Exception as exc:
            self._tree = None
            for p in batch:
                p.index = None
                if p.error is None:
                    failure = AuditLogUnavailableError(
                        "the decision could not be written to the log"
                    )
                    failure.__cause__ = exc
                    p.error = failure

    def _attempt(self, batch: list[_Pending], *, isolate: bool) -> None:
        with write_transaction(self._engine) as conn:
            lock_for_append(conn)
            size = read_size(conn)
            cached = self._tree
            if cached is None or cached.size != size:
                # First batch of this process, or another replica appended meanwhile.
                cached = with_nodes(conn, lambda get: CompactRange.from_nodes(size, get))
            tree = CompactRange.from_frontier(cached.size, cached.frontier)
            kept = _write_companions(conn, batch, first=tree.size, isolate=isolate)
            if kept:
                self._write_leaves(conn, tree, kept)
        self._tree = tree
        if kept:
            self._commits += 1

    def _write_leaves(self, conn: Connection, tree: CompactRange, kept: list[_Pending]) -> None:
        """Insert the kept leaves and the subtrees they complete, then run the leaf writers."""
        entries: list[dict[str, object]] = []
        nodes: list[dict[str, object]] = []
        leaves: list[AppendedLeaf] = []
        for p in kept:
            if p.index != tree.size:  # _write_companions numbered them from the stored size
                raise AuditLogUnavailableError("the decision log's indices are out of step")
            entries.append(
                {
                    "idx": p.index,
                    "kind": p.kind,
                    "body": p.body,
                    "leaf_hash": p.leaf_hash,
                    "created_at": p.at,
                }
            )
            leaves.append(AppendedLeaf(index=p.index, kind=p.kind, body=p.body, at=p.at))
            nodes.extend(
                {"pos": node_position(s.level, s.index), "hash": s.hash}
                for s in tree.append(p.leaf_hash)
            )
        conn.execute(_INSERT_ENTRY, entries)
        conn.execute(_INSERT_NODE, nodes)
        with self._cond:
            writers = list(self._leaf_writers)
        for writer in writers:
            writer(conn, leaves)

    # -- reading ---------------------------------------------------------------------------

    def _read(self, action: str, fn: Callable[[Connection], T]) -> T:
        try:
            with self._engine.connect() as conn:
                return fn(conn)
        except SQLAlchemyError as exc:
            raise AuditLogUnavailableError(f"the decision log cannot be read ({action})") from exc

    def check_writable(self) -> None:
        """Raise :class:`AuditLogUnavailableError` unless the log's table takes a leaf now.

        Writes a leaf at index -1 (never a real one) and rolls it back: a read-only
        database, a read-only transaction mode (a demoted primary), a revoked grant or
        a lock that cannot be had all fail here, as the next real append would.
        """
        probe = {"idx": -1, "kind": "readiness", "body": b"", "leaf_hash": _PLACEHOLDER}
        try:
            with rolled_back_write(self._engine) as conn:
                conn.execute(insert(_entry), {**probe, "created_at": datetime.now(UTC)})
        except SQLAlchemyError as exc:
            raise AuditLogUnavailableError("the decision log does not accept writes") from exc

    def size(self) -> int:
        """Number of leaves durably stored."""
        return self._read("size", read_size)

    def entries(self, start: int, end: int) -> list[StoredEntry]:
        """Leaves with ``start <= index < end``, in order."""
        t = _entry

        def fetch(conn: Connection) -> list[StoredEntry]:
            rows = conn.execute(
                select(t.c.idx, t.c.kind, t.c.body, t.c.leaf_hash, t.c.created_at)
                .where(t.c.idx >= start, t.c.idx < end)
                .order_by(t.c.idx)
            ).all()
            return [StoredEntry(int(r[0]), r[1], bytes(r[2]), bytes(r[3]), r[4]) for r in rows]

        return self._read("entries", fetch)

    def iter_entries(self, start: int = 0, *, chunk: int = 10_000) -> Iterator[list[StoredEntry]]:
        """Every stored leaf from ``start`` on, in chunks, in index order (keyset paging)."""
        nxt = start
        while True:
            rows = self._read("entries", partial(_entries_after, start=nxt, limit=chunk))
            if not rows:
                return
            yield rows
            nxt = rows[-1].index + 1

    def root(self, size: int) -> bytes:
        """RFC 9162 root of the first ``size`` leaves, from O(log n) stored subtrees."""
        return self._read("root", lambda c: with_nodes(c, lambda g: root_from_nodes(size, g)))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
        return self._read(
            "inclusion proof",
            lambda c: with_nodes(c, lambda g: inclusion_proof(index, size, g)),
        )

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """RFC 9162 consistency proof from tree size ``first`` to ``second``."""
        return self._read(
            "consistency proof",
            lambda c: with_nodes(c, lambda g: consistency_proof(first, second, g)),
        )

    def stored_nodes(self, positions: Sequence[int]) -> dict[int, bytes]:
        """Stored subtree hashes by in-order position; absent positions are left out."""

        def fetch(conn: Connection) -> dict[int, bytes]:
            found: dict[int, bytes] = {}
            for start in range(0, len(positions), _READ_CHUNK):
                chunk = list(positions[start : start + _READ_CHUNK])
                rows = conn.execute(select(_node.c.pos, _node.c.hash).where(_node.c.pos.in_(chunk)))
                found.update((int(p), bytes(h)) for p, h in rows)
            return found

        return self._read("tree nodes", fetch)


class _CompanionFailedError(Exception):
    """A companion failed in an attempt without savepoints: roll back, then isolate."""


def _write_companions(
    conn: Connection, batch: list[_Pending], *, first: int, isolate: bool
) -> list[_Pending]:
    """Run each leaf's companion; the leaves to write, numbered from ``first`` in order.

    Without ``isolate`` a failing companion raises :class:`_CompanionFailedError`
    (the caller rolls the whole attempt back). With it, each companion runs in its
    own SAVEPOINT and a failing one only drops its leaf, which gets the companion's
    error: a :class:`GatewayError` as raised (a conflict the companion found is the
    caller's answer), anything else as :class:`AuditLogUnavailableError`. Kept
    leaves are numbered without gaps.
    """
    kept: list[_Pending] = []
    index = first
    for p in batch:
        if p.companion is not None:
            try:
                if isolate:
                    with conn.begin_nested():
                        p.companion(conn, index)
                else:
                    p.companion(conn, index)
            except Exception as exc:
                if not isolate:
                    raise _CompanionFailedError from exc
                if isinstance(exc, GatewayError):
                    p.error = exc
                else:
                    failure = AuditLogUnavailableError(
                        "the decision could not be written to the log"
                    )
                    failure.__cause__ = exc
                    p.error = failure
                continue
        p.index = index
        index += 1
        kept.append(p)
    return kept


def _entries_after(conn: Connection, *, start: int, limit: int) -> list[StoredEntry]:
    t = _entry
    rows = conn.execute(
        select(t.c.idx, t.c.kind, t.c.body, t.c.leaf_hash, t.c.created_at)
        .where(t.c.idx >= start)
        .order_by(t.c.idx)
        .limit(limit)
    ).all()
    return [StoredEntry(int(r[0]), r[1], bytes(r[2]), bytes(r[3]), r[4]) for r in rows]
