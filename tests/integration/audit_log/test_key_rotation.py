"""Rotating the checkpoint key: the log keeps publishing, and every verifier follows the chain.

The chain starts at the pinned first key; a ``key_rotation`` leaf signed by the key
in force hands every later checkpoint to the new key. Anything else — a rotation
the old key did not sign, an unsigned record of another key, a checkpoint the
retired key signed after the hand-over — fails at its own index.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from gateway.audit.checkpoint import Checkpoint, SignedNote, sign_checkpoint
from gateway.audit.checkpoints import Checkpointer, CheckpointKeyError
from gateway.audit.errors import AuditVerificationError
from gateway.audit.export import export_log, verify_export
from gateway.audit.log import DecisionLog
from gateway.audit.record import key_rotation_record
from gateway.audit.rotation import sign_rotation
from gateway.audit.signer import NoteSigner
from gateway.audit.tables import LOG_CHECKPOINT
from gateway.audit.verify import LogVerificationError, verify_database
from gateway.audit.witness import WitnessState, witness
from tests.integration.audit_log.conftest import T0, fill, fixed_signer

OLD, NEW, MALLORY = fixed_signer(1), fixed_signer(2), fixed_signer(66)


def _rotated(log: DecisionLog) -> tuple[Checkpointer, int]:
    """A log under OLD (first key recorded, 5 leaves, checkpoints), rotated to NEW, grown."""
    first = Checkpointer(log, OLD)
    assert first.record_key_if_new(T0) == 0
    fill(log, 1, 5)
    first.publish(T0)
    index, after = first.rotate(NEW, T0)
    assert after.size == index + 1
    fill(log, index + 1, index + 4)
    second = Checkpointer(log, NEW)
    assert second.record_key_if_new(T0) is None  # the rotation leaf put NEW in force
    second.publish(T0)
    return second, index


def _append_rotation(log: DecisionLog, statement: str, old: NoteSigner, new: NoteSigner) -> int:
    return log.append(
        "key_rotation",
        key_rotation_record(
            at=T0,
            key_role="checkpoint",
            old_key_id=old.key_id.hex(),
            new_key_id=new.key_id.hex(),
            verifier_key=new.verifier_key_text(),
            old_verifier_key=old.verifier_key_text(),
            statement=statement,
        ),
        at=T0,
    )


def _store_checkpoint(engine: Engine, log: DecisionLog, signer: NoteSigner) -> int:
    """What a log holding ``signer`` could write without the checkpointer's checks."""
    size = log.size()
    note = sign_checkpoint(Checkpoint(signer.name, size, log.root(size)), signer)
    with engine.begin() as conn:
        conn.execute(
            insert(LOG_CHECKPOINT).values(size=size, root=log.root(size), note=note, created_at=T0)
        )
    return size


def test_checkpoints_continue_under_the_new_key_and_verify_from_the_first(
    log: DecisionLog,
) -> None:
    checkpointer, index = _rotated(log)
    result = verify_database(log, checkpointer.all(), [OLD.verifier])
    assert (result.size, result.rotations, result.uncovered) == (log.size(), 1, 0)
    assert result.key == NEW.verifier
    assert checkpointer.first_key() == OLD.verifier
    for stored in checkpointer.all():
        signer = OLD if stored.size <= index else NEW
        assert SignedNote.from_text(stored.note).verify([signer.verifier]) == (signer.verifier,)


def test_the_retired_key_can_no_longer_publish(log: DecisionLog) -> None:
    _rotated(log)
    fill(log, 100, 102)
    with pytest.raises(CheckpointKeyError, match="not the log's key"):
        Checkpointer(log, OLD).publish(T0)
    with pytest.raises(CheckpointKeyError):
        Checkpointer(log, OLD).record_key_if_new(T0)


def test_a_process_still_holding_the_old_key_stops_at_the_rotation_leaf(
    log: DecisionLog,
) -> None:
    """Another replica appended the rotation; this one's next publish must not sign."""
    first = Checkpointer(log, OLD)
    first.record_key_if_new(T0)
    fill(log, 1, 4)
    anchor = first.publish(T0)
    _append_rotation(log, sign_rotation(OLD, NEW, size=anchor.size, root=anchor.root), OLD, NEW)
    fill(log, 10, 12)
    with pytest.raises(CheckpointKeyError, match="retired"):
        first.publish(T0)
    assert Checkpointer(log, NEW).publish(T0).size == log.size()


def test_verify_refuses_a_checkpoint_the_retired_key_signed_after_the_rotation(
    engine: Engine, log: DecisionLog
) -> None:
    checkpointer, _ = _rotated(log)
    fill(log, 200, 201)
    size = _store_checkpoint(engine, log, OLD)
    with pytest.raises(LogVerificationError, match="key in force") as caught:
        verify_database(log, checkpointer.all(), [OLD.verifier])
    assert caught.value.index == size - 1


def test_pinning_the_new_key_does_not_vouch_for_the_history_before_it(log: DecisionLog) -> None:
    checkpointer, _ = _rotated(log)
    with pytest.raises(LogVerificationError):
        verify_database(log, checkpointer.all(), [NEW.verifier])


def test_a_rotation_the_old_key_did_not_sign_fails_at_its_leaf(
    engine: Engine, log: DecisionLog
) -> None:
    first = Checkpointer(log, OLD)
    first.record_key_if_new(T0)
    fill(log, 1, 4)
    anchor = first.publish(T0)
    # Mallory holds the log's storage but not OLD: it signs the hand-over itself.
    forged = sign_rotation(MALLORY, NEW, size=anchor.size, root=anchor.root)
    index = _append_rotation(log, forged, OLD, NEW)
    fill(log, 10, 12)
    with pytest.raises(AuditVerificationError):
        Checkpointer(log, NEW).publish(T0)  # the log itself will not sign on it
    _store_checkpoint(engine, log, NEW)
    with pytest.raises(LogVerificationError, match="not signed by the log's key") as caught:
        verify_database(log, first.all(), [OLD.verifier])
    assert caught.value.index == index


def test_an_unsigned_record_of_another_key_fails_at_its_leaf(
    engine: Engine, log: DecisionLog
) -> None:
    first = Checkpointer(log, OLD)
    first.record_key_if_new(T0)
    fill(log, 1, 3)
    first.publish(T0)
    index = log.append(
        "key_rotation",
        key_rotation_record(
            at=T0,
            key_role="checkpoint",
            new_key_id=NEW.key_id.hex(),
            verifier_key=NEW.verifier_key_text(),
        ),
        at=T0,
    )
    _store_checkpoint(engine, log, NEW)
    with pytest.raises(LogVerificationError, match="without a rotation signed") as caught:
        verify_database(log, first.all(), [OLD.verifier])
    assert caught.value.index == index


def test_a_rotation_naming_a_root_no_checkpoint_signed_fails(
    engine: Engine, log: DecisionLog
) -> None:
    """A statement the old key signed for another history cannot be replayed into this one."""
    first = Checkpointer(log, OLD)
    first.record_key_if_new(T0)
    fill(log, 1, 4)
    anchor = first.publish(T0)
    other = sign_rotation(OLD, NEW, size=anchor.size, root=bytes(32))
    index = _append_rotation(log, other, OLD, NEW)
    _store_checkpoint(engine, log, NEW)
    with pytest.raises(LogVerificationError, match="no checkpoint of this log signed") as caught:
        verify_database(log, first.all(), [OLD.verifier])
    assert caught.value.index == index


def test_an_export_verifies_offline_across_the_rotation_from_the_first_key(
    log: DecisionLog, tmp_path: Path
) -> None:
    checkpointer, _ = _rotated(log)
    manifest = export_log(log, checkpointer.all(), checkpointer.first_key(), tmp_path / "x")
    assert (tmp_path / "x" / "public-key.txt").read_text().strip() == OLD.verifier_key_text()
    result = verify_export(tmp_path / "x", [OLD.verifier])
    assert (result.size, result.rotations) == (manifest.size, 1)
    with pytest.raises(LogVerificationError):
        verify_export(tmp_path / "x", [MALLORY.verifier])


class _Served:
    """The log endpoints a witness uses, answered from storage (what the HTTP API serves)."""

    def __init__(self, log: DecisionLog, checkpointer: Checkpointer) -> None:
        self.log, self.checkpointer = log, checkpointer

    def checkpoint(self) -> str:
        latest = self.checkpointer.latest()
        assert latest is not None
        return latest.note

    def consistency(self, first: int, second: int) -> list[bytes]:
        return self.log.consistency_proof(first, second)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self.log.inclusion_proof(index, size)

    def entries(self, start: int, end: int) -> list[bytes]:
        return [e.body for e in self.log.entries(start, end)]


def test_the_witness_follows_the_rotation_and_remembers_the_new_key(log: DecisionLog) -> None:
    first = Checkpointer(log, OLD)
    first.record_key_if_new(T0)
    fill(log, 1, 4)
    first.publish(T0)
    served = _Served(log, first)
    state = witness(WitnessState(verifier_key=OLD.verifier_key_text()), served).state
    first.rotate(NEW, T0)
    fill(log, 20, 23)
    served.checkpointer = Checkpointer(log, NEW)
    served.checkpointer.publish(T0)
    step = witness(state, served)
    assert step.advanced
    assert step.state.verifier_key == NEW.verifier_key_text()
    assert step.state.pinned_key == OLD.verifier_key_text()
    assert step.current.size == log.size()


def test_the_witness_refuses_a_new_key_no_rotation_hands_over_to(
    engine: Engine, log: DecisionLog
) -> None:
    first = Checkpointer(log, OLD)
    first.record_key_if_new(T0)
    fill(log, 1, 4)
    first.publish(T0)
    served = _Served(log, first)
    state = witness(WitnessState(verifier_key=OLD.verifier_key_text()), served).state
    fill(log, 4, 6)
    _store_checkpoint(engine, log, MALLORY)  # a key the log never rotated to
    with pytest.raises(AuditVerificationError):
        witness(state, served)
