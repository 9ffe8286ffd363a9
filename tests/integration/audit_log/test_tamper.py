"""Tampering with the stored log behind the gateway's back: verify fails and names the index.

Each test drops the append-only triggers first (as an operator with the
database owner's rights could), changes the log, and runs the same check as
``gateway audit verify``. The log has leaves 0..11 and signed checkpoints of
sizes 4, 8 and 12.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.engine import Engine

from gateway.audit.checkpoint import Checkpoint, sign_checkpoint
from gateway.audit.checkpoints import Checkpointer
from gateway.audit.log import DecisionLog, node_position
from gateway.audit.merkle import CompactRange, leaf_hash
from gateway.audit.tables import LOG_CHECKPOINT, LOG_ENTRY, LOG_NODE
from gateway.audit.verify import LogVerificationError, verify_database
from tests.integration.audit_log.conftest import T0, fill, fixed_signer

_TABLES = ("log_entry", "log_node", "log_checkpoint")


def _drop_triggers(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in _TABLES:
            if conn.dialect.name == "sqlite":
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_no_update_delete ON {table}"))
                conn.execute(text(f"DROP TRIGGER {table}_no_truncate ON {table}"))


@pytest.fixture
def built(engine: Engine, log: DecisionLog, checkpointer: Checkpointer) -> Engine:
    for end in (4, 8, 12):
        fill(log, log.size(), end)
        checkpointer.publish(T0)
    _drop_triggers(engine)
    return engine


def _verify(log: DecisionLog, checkpointer: Checkpointer) -> None:
    verify_database(log, checkpointer.all(), [checkpointer.signer.verifier], chunk=5)


def _body(engine: Engine, index: int) -> bytes:
    with engine.connect() as conn:
        found = conn.execute(select(LOG_ENTRY.c.body).where(LOG_ENTRY.c.idx == index)).scalar_one()
    return bytes(found)


def _flip(data: bytes, at: int = 3) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _fails_at(log: DecisionLog, checkpointer: Checkpointer, index: int, words: str) -> None:
    with pytest.raises(LogVerificationError, match=words) as caught:
        _verify(log, checkpointer)
    assert caught.value.index == index


def test_untouched_log_verifies(
    built: Engine, log: DecisionLog, checkpointer: Checkpointer
) -> None:
    _verify(log, checkpointer)


def test_one_changed_byte_of_a_leaf_is_named(
    built: Engine, log: DecisionLog, checkpointer: Checkpointer
) -> None:
    with built.begin() as conn:
        conn.execute(
            update(LOG_ENTRY).where(LOG_ENTRY.c.idx == 5).values(body=_flip(_body(built, 5)))
        )
    _fails_at(log, checkpointer, 5, "stored leaf hash is not the hash")


def _forge_leaf_and_its_hash(built: Engine, index: int) -> None:
    """Flip a byte of one leaf and store the hash that matches the forged bytes."""
    forged = _flip(_body(built, index))
    with built.begin() as conn:
        conn.execute(
            update(LOG_ENTRY)
            .where(LOG_ENTRY.c.idx == index)
            .values(body=forged, leaf_hash=leaf_hash(forged))
        )


def test_a_changed_leaf_with_a_matching_leaf_hash_is_named(
    built: Engine, log: DecisionLog, checkpointer: Checkpointer
) -> None:
    _forge_leaf_and_its_hash(built, 5)
    _fails_at(log, checkpointer, 5, "leaf hash the tree recorded")


def test_a_deleted_leaf_is_named(
    built: Engine, log: DecisionLog, checkpointer: Checkpointer
) -> None:
    with built.begin() as conn:
        conn.execute(delete(LOG_ENTRY).where(LOG_ENTRY.c.idx == 5))
    _fails_at(log, checkpointer, 5, "missing")


def test_two_swapped_leaves_are_named(
    built: Engine, log: DecisionLog, checkpointer: Checkpointer
) -> None:
    a, b = _body(built, 2), _body(built, 9)
    with built.begin() as conn:
        for index, body in ((2, b), (9, a)):
            conn.execute(
                update(LOG_ENTRY)
                .where(LOG_ENTRY.c.idx == index)
                .values(body=body, leaf_hash=leaf_hash(body))
            )
    _fails_at(log, checkpointer, 2, "leaf hash the tree recorded")


def test_a_truncated_tail_is_named(
    built: Engine, log: DecisionLog, checkpointer: Checkpointer
) -> None:
    with built.begin() as conn:
        conn.execute(delete(LOG_ENTRY).where(LOG_ENTRY.c.idx >= 10))
    _fails_at(log, checkpointer, 10, "checkpoint was signed for size 12")


def test_a_checkpoint_replaced_by_one_of_another_key_is_named(
    built: Engine, log: DecisionLog, checkpointer: Checkpointer
) -> None:
    impostor = fixed_signer(seed=9)  # another key under the log's name
    forged = sign_checkpoint(Checkpoint(checkpointer.origin, 8, log.root(8)), impostor)
    with built.begin() as conn:
        conn.execute(update(LOG_CHECKPOINT).where(LOG_CHECKPOINT.c.size == 8).values(note=forged))
    _fails_at(log, checkpointer, 7, "stored for size 8 does not verify")


def test_a_checkpoint_replaced_by_an_older_genuine_one_is_named(
    built: Engine, log: DecisionLog, checkpointer: Checkpointer
) -> None:
    with built.connect() as conn:
        older = conn.execute(
            select(LOG_CHECKPOINT.c.note).where(LOG_CHECKPOINT.c.size == 4)
        ).scalar_one()
    with built.begin() as conn:
        conn.execute(update(LOG_CHECKPOINT).where(LOG_CHECKPOINT.c.size == 8).values(note=older))
    _fails_at(log, checkpointer, 7, "signed for size 4")


def test_a_rewrite_of_leaf_and_whole_tree_is_caught_by_the_signed_root(
    built: Engine, log: DecisionLog, checkpointer: Checkpointer
) -> None:
    _forge_leaf_and_its_hash(built, 5)
    with built.begin() as conn:
        hashes = conn.execute(select(LOG_ENTRY.c.leaf_hash).order_by(LOG_ENTRY.c.idx)).scalars()
        tree = CompactRange()
        nodes = [
            {"pos": node_position(s.level, s.index), "hash": s.hash}
            for h in hashes
            for s in tree.append(bytes(h))
        ]
        conn.execute(delete(LOG_NODE))
        conn.execute(insert(LOG_NODE), nodes)
    _fails_at(log, checkpointer, 4, "do not reproduce the root signed for size 8")
