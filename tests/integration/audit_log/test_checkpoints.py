"""Signed checkpoints: published from the stored tree, only after proving consistency."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from gateway.audit.checkpoint import (
    Checkpoint,
    open_note,
    sign_checkpoint,
    verify_checkpoint_consistency,
)
from gateway.audit.checkpoints import Checkpointer, CheckpointPublisher
from gateway.audit.errors import AuditVerificationError
from gateway.audit.log import DecisionLog
from gateway.audit.merkle import EMPTY_ROOT, leaf_hash, root_from_leaf_hashes, verify_inclusion
from gateway.audit.tables import LOG_CHECKPOINT
from gateway.clock import UnsafePinnedClock
from tests.integration.audit_log.conftest import ORIGIN, T0, fill, fixed_signer, leaf


def test_first_checkpoint_of_an_empty_log_signs_the_empty_root(checkpointer: Checkpointer) -> None:
    stored = checkpointer.publish(T0)
    opened = open_note(stored.note, [checkpointer.signer.verifier])
    assert (opened.origin, opened.size, opened.root) == (ORIGIN, 0, EMPTY_ROOT)


def test_checkpoint_signs_the_root_of_every_stored_leaf(
    log: DecisionLog, checkpointer: Checkpointer
) -> None:
    fill(log, 0, 7)
    stored = checkpointer.publish(T0)
    opened = open_note(stored.note, [checkpointer.signer.verifier])
    assert opened.size == 7
    assert opened.root == root_from_leaf_hashes([leaf_hash(leaf(i)) for i in range(7)])
    assert checkpointer.latest() == stored


def test_publishing_without_new_leaves_returns_the_latest_checkpoint(
    log: DecisionLog, checkpointer: Checkpointer
) -> None:
    fill(log, 0, 3)
    first = checkpointer.publish(T0)
    assert checkpointer.publish(T0) == first
    assert len(checkpointer.all()) == 1


def test_each_checkpoint_is_provably_consistent_with_the_previous_one(
    log: DecisionLog, checkpointer: Checkpointer
) -> None:
    notes = []
    for end in (1, 2, 5, 8, 13):
        fill(log, log.size(), end)
        notes.append(checkpointer.publish(T0).note)
    verifier = checkpointer.signer.verifier
    opened = [open_note(n, [verifier]) for n in notes]
    for older, newer in itertools.pairwise(opened):
        verify_checkpoint_consistency(older, newer, log.consistency_proof(older.size, newer.size))


def test_a_lookup_index_is_provable_against_the_next_checkpoint(
    log: DecisionLog, checkpointer: Checkpointer
) -> None:
    fill(log, 0, 4)
    index = log.append("decision", leaf(4), at=T0)
    opened = open_note(checkpointer.publish(T0).note, [checkpointer.signer.verifier])
    verify_inclusion(
        leaf_hash=leaf_hash(leaf(4)),
        index=index,
        size=opened.size,
        proof=log.inclusion_proof(index, opened.size),
        root=opened.root,
    )


def test_log_refuses_to_sign_a_tree_inconsistent_with_its_last_checkpoint(
    engine: Engine, log: DecisionLog
) -> None:
    signer = fixed_signer()
    fill(log, 0, 3)
    # A checkpoint for size 3 that this tree never had (another root), signed with the log key.
    forged = Checkpoint(origin=ORIGIN, size=3, root=bytes(32))
    with engine.begin() as conn:
        conn.execute(
            insert(LOG_CHECKPOINT).values(
                size=3, root=bytes(32), note=sign_checkpoint(forged, signer), created_at=T0
            )
        )
    fill(log, 3, 5)
    with pytest.raises(AuditVerificationError, match="not shown to extend"):
        Checkpointer(log, signer).publish(T0)
    assert Checkpointer(log, signer).latest() is not None
    assert [c.size for c in Checkpointer(log, signer).all()] == [3]


def test_publisher_signs_new_leaves_within_its_interval_and_once_more_on_stop(
    log: DecisionLog, checkpointer: Checkpointer
) -> None:
    publisher = CheckpointPublisher(checkpointer, UnsafePinnedClock(T0), interval=0.05)
    publisher.start()
    try:
        assert checkpointer.latest() is not None  # published at start
        fill(log, 0, 3)
        deadline = time.monotonic() + 30
        while (latest := checkpointer.latest()) is None or latest.size < 3:
            assert time.monotonic() < deadline, "no checkpoint for the new leaves"
            time.sleep(0.02)
        fill(log, 3, 4)
    finally:
        publisher.stop()
    latest = checkpointer.latest()
    assert latest is not None
    assert latest.size == 4


def test_concurrent_publishers_never_sign_two_checkpoints_of_one_size(
    log: DecisionLog, checkpointer: Checkpointer
) -> None:
    fill(log, 0, 5)
    results = []

    def publish() -> None:
        results.append(Checkpointer(log, fixed_signer()).publish(T0).size)

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [5, 5, 5, 5]
    assert [c.size for c in checkpointer.all()] == [5]
