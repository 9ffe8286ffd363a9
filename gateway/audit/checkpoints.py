"""Signed checkpoints of the decision log: publish, store, and publish again every second.

What this module guarantees:

* :meth:`Checkpointer.publish` signs a C2SP checkpoint (origin = the log key's
  name, size, RFC 9162 root computed from the stored tree) and stores it in
  ``log_checkpoint``, in one transaction under a lock shared by every replica.
* Before signing, it opens the last checkpoint it stored with the key that
  signed it, follows the checkpoint key records appended since (a rotation,
  :mod:`gateway.audit.rotation`), requires its own key to be the one in force,
  and verifies an RFC 9162 consistency proof from that checkpoint to the new
  tree (:func:`~gateway.audit.checkpoint.verify_checkpoint_consistency`). If
  any of that fails, nothing is signed and
  :class:`~gateway.audit.errors.AuditVerificationError` is raised: a log must
  not sign a checkpoint inconsistent with one it signed before, nor with a key
  it retired.
* :meth:`Checkpointer.rotate` hands the log to a new key: a checkpoint by the
  old key, a ``key_rotation`` leaf whose statement both keys sign, and the
  first checkpoint by the new key.
* A checkpoint is only published for a size no checkpoint has yet; asking
  again without new leaves returns the latest one (so "on demand" is cheap).
* :class:`CheckpointPublisher` is a daemon thread that publishes at least once
  per interval while there are leaves no checkpoint covers.
* **Several replicas.** Every replica runs a publisher; there is no elected
  signer. The lock is held for one publish transaction, which checks
  consistency with whatever the previous holder stored before signing, so
  the replicas sign one sequence of consistent checkpoints in turn, and when
  one dies the next tick of any other signs (fail-over within an interval).
  The price: under steady traffic, up to one checkpoint per replica per
  interval. Why no lease: :mod:`gateway.audit.log`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import SQLAlchemyError

from gateway.audit.checkpoint import (
    Checkpoint,
    SignedNote,
    open_note,
    sign_checkpoint,
    verify_checkpoint_consistency,
)
from gateway.audit.errors import AuditVerificationError, SignatureVerificationError
from gateway.audit.log import DecisionLog, read_size, with_nodes
from gateway.audit.merkle import consistency_proof, root_from_nodes
from gateway.audit.record import key_rotation_record
from gateway.audit.rotation import KeyChain, KeyRecord, parse_key_record, sign_rotation
from gateway.audit.signer import NoteSigner, NoteVerifier
from gateway.audit.tables import LOG_CHECKPOINT, LOG_ENTRY
from gateway.clock import Clock
from gateway.db import write_transaction
from gateway.errors import AuditLogUnavailableError, GatewayError

__all__ = [
    "CHECKPOINT_LOCK_KEY",
    "CheckpointKeyError",
    "CheckpointPublisher",
    "Checkpointer",
    "StoredCheckpoint",
]

_checkpoint = LOG_CHECKPOINT
CHECKPOINT_LOCK_KEY = 0x6C6F_6763_6865_636B  # "logcheck": PostgreSQL advisory lock

log = structlog.get_logger(__name__)


class CheckpointKeyError(AuditVerificationError):
    """This process's checkpoint key is not the key the log's key records put in force."""


class _KeyRecordedMeanwhileError(GatewayError):
    """The log's first key was recorded between the check and the append (another replica)."""


@dataclass(frozen=True)
class StoredCheckpoint:
    """A row of ``log_checkpoint``: the signed note and the size and root it states."""

    size: int
    root: bytes
    note: str
    created_at: datetime


def _row(r: Row[Any, Any, Any, Any]) -> StoredCheckpoint:
    return StoredCheckpoint(int(r.size), bytes(r.root), str(r.note), r.created_at)


def _key_records(conn: Connection, start: int, end: int) -> list[KeyRecord]:
    """The checkpoint key records among leaves ``start..end-1`` (an index range scan)."""
    t = LOG_ENTRY
    rows = conn.execute(
        select(t.c.idx, t.c.body)
        .where(t.c.idx >= start, t.c.idx < end, t.c.kind == "key_rotation")
        .order_by(t.c.idx)
    ).all()
    found = (parse_key_record(int(idx), bytes(body)) for idx, body in rows)
    return [record for record in found if record is not None]


def _latest(conn: Connection) -> StoredCheckpoint | None:
    t = _checkpoint
    found = conn.execute(
        select(t.c.size, t.c.root, t.c.note, t.c.created_at).order_by(t.c.size.desc()).limit(1)
    ).first()
    return None if found is None else _row(found)


class Checkpointer:
    """Signs and stores checkpoints of one :class:`DecisionLog` with the log's key."""

    def __init__(self, log: DecisionLog, signer: NoteSigner) -> None:
        self._log = log
        self._signer = signer

    @property
    def signer(self) -> NoteSigner:
        return self._signer

    @property
    def log(self) -> DecisionLog:
        return self._log

    @property
    def origin(self) -> str:
        return self._signer.name

    def latest(self) -> StoredCheckpoint | None:
        """The newest stored checkpoint, or None before the first is published."""
        try:
            with self._log.engine.connect() as conn:
                return _latest(conn)
        except SQLAlchemyError as exc:
            raise AuditLogUnavailableError("the log's checkpoints cannot be read") from exc

    def all(self) -> list[StoredCheckpoint]:
        """Every stored checkpoint, smallest size first."""
        t = _checkpoint
        try:
            with self._log.engine.connect() as conn:
                rows = conn.execute(
                    select(t.c.size, t.c.root, t.c.note, t.c.created_at).order_by(t.c.size)
                ).all()
        except SQLAlchemyError as exc:
            raise AuditLogUnavailableError("the log's checkpoints cannot be read") from exc
        return [_row(r) for r in rows]

    def record_key_if_new(self, at: datetime) -> int | None:
        """Record the log's first checkpoint key, or check that this process's key is in force.

        On a log that has neither a checkpoint nor a key record yet, appends the
        ``key_rotation`` leaf naming this key as the log's first (``old_key_id``
        null) and returns its index, so an auditor finds in the log itself which
        key to pin. Otherwise returns None if this key is the one in force, and
        raises :class:`CheckpointKeyError` if it is not (a replaced key file, or a
        process still holding a key that ``gateway keys rotate checkpoint``
        retired): a key change is only ever a rotation the old key signed.
        """
        try:
            with self._log.engine.connect() as conn:
                latest = _latest(conn)
                size = read_size(conn)
                if latest is not None or _key_records(conn, 0, size):
                    self._opened_with_key_in_force(conn, latest, size)
                    return None
        except SQLAlchemyError as exc:
            raise AuditLogUnavailableError("the log's checkpoint key cannot be checked") from exc
        mine = self._signer.verifier

        def only_the_first(conn: Connection, index: int) -> None:
            # Checked again under the log's lock: replicas starting together on an
            # empty log all pass the check above, and only one may name the first key.
            if _latest(conn) is not None or _key_records(conn, 0, index):
                raise _KeyRecordedMeanwhileError("another replica recorded the log's first key")

        try:
            return self._log.append(
                "key_rotation",
                key_rotation_record(
                    at=at,
                    key_role="checkpoint",
                    new_key_id=mine.key_id.hex(),
                    old_key_id=None,
                    verifier_key=mine.verifier_key_text(),
                ),
                at=at,
                companion=only_the_first,
            )
        except _KeyRecordedMeanwhileError:
            return self.record_key_if_new(at)  # now only checks that this key is in force

    def key_records(self) -> list[KeyRecord]:
        """Every checkpoint key record of the log, in order (reads the whole log's index)."""
        try:
            with self._log.engine.connect() as conn:
                return _key_records(conn, 0, read_size(conn))
        except SQLAlchemyError as exc:
            raise AuditLogUnavailableError("the log's key records cannot be read") from exc

    def first_key(self) -> NoteVerifier:
        """The key the log's history starts from: what an auditor should have pinned.

        The key its first key record names (or the key that first record rotated
        away from); this process's own key if the log records none.
        """
        records = self.key_records()
        if not records:
            return self._signer.verifier
        first = records[0]
        if first.statement is None or first.old_key is None:
            return first.new_key
        return first.old_key

    def _opened_with_key_in_force(
        self, conn: Connection, latest: StoredCheckpoint | None, size: int
    ) -> Checkpoint | None:
        """Open ``latest`` with the key that signed it, follow the key records after it,
        and require the key in force at ``size`` to be this process's key.

        Raises :class:`CheckpointKeyError` otherwise: signing with any other key
        would publish a checkpoint no verifier following the chain accepts.
        """
        mine = self._signer.verifier
        start = 0 if latest is None else latest.size
        records = _key_records(conn, start, size)
        opened: Checkpoint | None = None
        if latest is None:
            anchor = mine
            if records:
                first = records[0]
                anchor = first.old_key if first.old_key is not None else first.new_key
        else:
            candidates = [mine, *(r.old_key for r in records[:1] if r.old_key is not None)]
            try:
                opened = open_note(latest.note, candidates)
                anchor = SignedNote.from_text(latest.note).verify(candidates)[0]
            except SignatureVerificationError as exc:
                raise CheckpointKeyError(
                    f"the checkpoint key {mine.key_id.hex()} is not the log's key: the latest"
                    f" checkpoint (size {latest.size}) is signed by another key and no rotation"
                    " signed by that key hands the log to this one"
                ) from exc
        chain = KeyChain([anchor])

        def root_at(n: int) -> bytes | None:
            if n > size:
                return None
            return with_nodes(conn, lambda g: root_from_nodes(n, g))

        for record in records:
            chain.apply(record, root_at)
        if chain.current != (mine,):
            in_force = "/".join(v.key_id.hex() for v in chain.current)
            raise CheckpointKeyError(
                f"the checkpoint key {mine.key_id.hex()} is retired or unknown: the log's key"
                f" records put key {in_force} in force"
            )
        return opened

    def publish(self, at: datetime) -> StoredCheckpoint:
        """Sign and store a checkpoint of the whole log, unless the latest one already covers it.

        1. Take the checkpoint lock; read the latest checkpoint and the log size.
        2. Nothing new: return the latest checkpoint.
        3. Compute the new root from the stored tree.
        4. Open the latest checkpoint with the key that signed it, follow the key
           records since (a rotation), and require this key to be the one in force;
           prove the new tree consistent with the latest checkpoint.
        5. Sign, store, commit.
        """
        try:
            with write_transaction(self._log.engine) as conn:
                # 1.
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CHECKPOINT_LOCK_KEY})")
                latest = _latest(conn)
                size = read_size(conn)
                # 2.
                if latest is not None and latest.size >= size:
                    return latest
                # 3.
                root = with_nodes(conn, lambda g: root_from_nodes(size, g))
                new = Checkpoint(origin=self._signer.name, size=size, root=root)
                # 4.
                previous = self._opened_with_key_in_force(conn, latest, size)
                if previous is not None:
                    proof = with_nodes(conn, lambda g: consistency_proof(previous.size, size, g))
                    verify_checkpoint_consistency(previous, new, proof)
                # 5.
                stored = StoredCheckpoint(size, root, sign_checkpoint(new, self._signer), at)
                conn.execute(
                    insert(_checkpoint).values(
                        size=stored.size, root=stored.root, note=stored.note, created_at=at
                    )
                )
                return stored
        except SQLAlchemyError as exc:
            raise AuditLogUnavailableError("a checkpoint could not be published") from exc

    def rotate(self, new_signer: NoteSigner, at: datetime) -> tuple[int, StoredCheckpoint]:
        """Hand the log to ``new_signer``: returns the rotation leaf's index and the first
        checkpoint the new key signed.

        1. Publish a checkpoint with this (the old) key: proves it is in force and
           fixes the (size, root) the statement names.
        2. Append the ``key_rotation`` leaf with the statement both keys sign.
        3. Publish with the new key, which opens the old key's checkpoint through the
           rotation leaf and proves consistency from it as every publish does.

        From the leaf on, this checkpointer's key is retired: its publish refuses.
        """
        old, new = self._signer, new_signer
        if new.name != old.name:
            raise ValueError(f"the new key must be named {old.name!r}, the log's origin")
        if new.verifier == old.verifier:
            raise ValueError("the new checkpoint key is the key in force")
        anchor = self.publish(at)  # 1.
        statement = sign_rotation(old, new, size=anchor.size, root=anchor.root)
        index = self._log.append(  # 2.
            "key_rotation",
            key_rotation_record(
                at=at,
                key_role="checkpoint",
                old_key_id=old.key_id.hex(),
                new_key_id=new.key_id.hex(),
                verifier_key=new.verifier_key_text(),
                old_verifier_key=old.verifier_key_text(),
                statement=statement,
            ),
            at=at,
        )
        return index, Checkpointer(self._log, new).publish(at)  # 3.


class CheckpointPublisher:
    """A daemon thread publishing a checkpoint every ``interval`` seconds while the log grows."""

    def __init__(self, checkpointer: Checkpointer, clock: Clock, *, interval: float) -> None:
        if interval <= 0:
            raise ValueError("the publishing interval must be positive")
        self._checkpointer = checkpointer
        self._clock = clock
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._published = -1

    def publish_if_new(self) -> StoredCheckpoint | None:
        """Publish when leaves exist that no checkpoint of this process covers yet."""
        size = self._checkpointer.log.size()
        if size == self._published:
            return None
        stored = self._checkpointer.publish(self._clock.now())
        self._published = stored.size
        return stored

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._tick()

    def _tick(self) -> None:
        try:
            stored = self.publish_if_new()
        except Exception as exc:  # the thread must survive a database outage
            log.error("checkpoint.failed", error=type(exc).__name__, detail=str(exc))
        else:
            if stored is not None:
                log.info("checkpoint.published", size=stored.size)

    def start(self) -> None:
        """Publish once now (so a checkpoint always exists), then every interval."""
        if self._thread is not None:
            raise RuntimeError("the checkpoint publisher is already running")
        self._tick()
        self._thread = threading.Thread(target=self._run, name="checkpoint-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and publish a last checkpoint covering every leaf appended so far."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._tick()
