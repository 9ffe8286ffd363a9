"""Signed checkpoints of the decision log: publish, store, and publish again every second.

What this module guarantees:

* :meth:`Checkpointer.publish` signs a C2SP checkpoint (origin = the log key's
  name, size, RFC 9162 root computed from the stored tree) and stores it in
  ``log_checkpoint``, in one transaction under a lock shared by every replica.
* Before signing, it opens the last checkpoint it stored with the log's own
  public key and verifies an RFC 9162 consistency proof from it to the new
  tree (:func:`~gateway.audit.checkpoint.verify_checkpoint_consistency`). If
  that fails, nothing is signed and
  :class:`~gateway.audit.errors.AuditVerificationError` is raised: a log must
  not sign a checkpoint inconsistent with one it signed before.
* A checkpoint is only published for a size no checkpoint has yet; asking
  again without new leaves returns the latest one (so "on demand" is cheap).
* :class:`CheckpointPublisher` is a daemon thread that publishes at least once
  per interval while there are leaves no checkpoint covers.
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
from gateway.audit.log import DecisionLog, read_size, with_nodes
from gateway.audit.merkle import consistency_proof, root_from_nodes
from gateway.audit.record import key_rotation_record
from gateway.audit.signer import NoteSigner
from gateway.audit.tables import LOG_CHECKPOINT
from gateway.clock import Clock
from gateway.db import write_transaction
from gateway.errors import AuditLogUnavailableError

__all__ = ["CHECKPOINT_LOCK_KEY", "CheckpointPublisher", "Checkpointer", "StoredCheckpoint"]

_checkpoint = LOG_CHECKPOINT
CHECKPOINT_LOCK_KEY = 0x6C6F_6763_6865_636B  # "logcheck": PostgreSQL advisory lock

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class StoredCheckpoint:
    """A row of ``log_checkpoint``: the signed note and the size and root it states."""

    size: int
    root: bytes
    note: str
    created_at: datetime


def _row(r: Row[Any, Any, Any, Any]) -> StoredCheckpoint:
    return StoredCheckpoint(int(r.size), bytes(r.root), str(r.note), r.created_at)


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
        """Append a ``key_rotation`` leaf when the log's signing key is not the one that
        signed the latest checkpoint (or no checkpoint exists yet); returns its index.

        An auditor then finds, in the log itself, which verifier key to use from
        which point on. Checkpoints signed by an earlier key stay verifiable with
        that key; publishing after a rotation still needs the old checkpoint opened
        with the old key, which this version does not do (see README).
        """
        latest = self.latest()
        mine = self._signer.verifier.key_id
        old: str | None = None
        if latest is not None:
            signers = [sig.key_id for sig in SignedNote.from_text(latest.note).signatures]
            if mine in signers:
                return None
            old = signers[0].hex() if signers else None
        return self._log.append(
            "key_rotation",
            key_rotation_record(
                at=at,
                key_role="checkpoint",
                new_key_id=mine.hex(),
                old_key_id=old,
                verifier_key=self._signer.verifier_key_text(),
            ),
            at=at,
        )

    def publish(self, at: datetime) -> StoredCheckpoint:
        """Sign and store a checkpoint of the whole log, unless the latest one already covers it.

        1. Take the checkpoint lock; read the latest checkpoint and the log size.
        2. Nothing new: return the latest checkpoint.
        3. Compute the new root from the stored tree.
        4. Open the latest checkpoint with our own key and prove the new tree consistent with it.
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
                if latest is not None:
                    previous = open_note(latest.note, [self._signer.verifier])
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
