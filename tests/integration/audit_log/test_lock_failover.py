"""Several replicas on one log: lock fail-over, isolation, durability, the first key record.

A killed process closes its sockets and the server rolls its transaction back
at once (tests/e2e/test_many_hosts.py kills one with -9). A frozen process, a
frozen host or a network partition closes nothing: the server only learns of
it from ``idle_in_transaction_session_timeout`` (gateway.db), and until then
the holder keeps every other replica's appends waiting.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.audit.checkpoints import Checkpointer
from gateway.audit.log import Companion, DecisionLog, lock_for_append
from gateway.audit.tables import LOG_ENTRY
from gateway.db import PoolOptions, make_engine, migrate
from tests.integration.audit_log.conftest import at, fill, fixed_signer, leaf

TIMEOUT = 1.0


@pytest.mark.postgres
def test_a_frozen_holder_of_the_log_lock_is_cut_off_and_its_leaf_never_lands(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url, PoolOptions(idle_in_transaction_timeout_seconds=TIMEOUT))
    migrate(engine)
    log = DecisionLog(engine)
    fill(log, 0, 2)
    got: list[int] = []
    try:
        # A replica takes the lock, writes leaf 2, and then freezes mid-transaction.
        frozen = engine.connect()
        frozen_tx = frozen.begin()
        lock_for_append(frozen)
        started = time.monotonic()  # the server's idle clock starts after the insert below
        frozen.execute(
            insert(LOG_ENTRY).values(
                idx=2, kind="decision", body=b"frozen", leaf_hash=bytes(32), created_at=at(2)
            )
        )
        other = threading.Thread(
            target=lambda: got.append(log.append("decision", leaf(2), at=at(2))), daemon=True
        )
        other.start()
        other.join(timeout=30 * TIMEOUT)
        waited = time.monotonic() - started
        assert got == [2], "another replica's append waited on the frozen holder"
        assert waited >= TIMEOUT * 0.95
        # The frozen replica wakes up: its session is gone, and its leaf 2 with it.
        with pytest.raises(SQLAlchemyError):
            frozen_tx.commit()
        frozen.close()
        assert [(e.index, e.body) for e in log.entries(0, 10)] == [
            (0, leaf(0)),
            (1, leaf(1)),
            (2, leaf(2)),
        ]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_gateways_transactions_read_committed_whatever_the_server_default(
    postgres_url: str,
) -> None:
    """The log takes its lock, then reads the size: that read must see the last holder's commit."""
    admin = make_engine(postgres_url)
    database = admin.url.database
    with admin.connect() as conn:
        conn.exec_driver_sql(
            f"ALTER DATABASE \"{database}\" SET default_transaction_isolation = 'repeatable read'"
        )
        conn.commit()
    admin.dispose()
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            level = conn.exec_driver_sql("SHOW transaction_isolation").scalar_one()
        assert level == "read committed"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_gateways_commits_wait_for_disk_whatever_the_server_default(
    postgres_url: str,
) -> None:
    """A database set to ``synchronous_commit = off`` would let a crash lose answered leaves."""
    admin = make_engine(postgres_url)
    database = admin.url.database
    with admin.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{database}" SET synchronous_commit = off')
        conn.commit()
    admin.dispose()
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            setting = conn.exec_driver_sql("SHOW synchronous_commit").scalar_one()
        assert setting == "on"
    finally:
        engine.dispose()


class _RacedLog(DecisionLog):
    """A log on which another replica records the first key just before this one appends."""

    def __init__(self, engine: Engine, other: Checkpointer) -> None:
        super().__init__(engine)
        self._other = other

    def append(
        self, kind: str, body: bytes, *, at: datetime, companion: Companion | None = None
    ) -> int:
        if kind == "key_rotation":
            assert self._other.record_key_if_new(at) == 0
        return super().append(kind, body, at=at, companion=companion)


def test_replicas_starting_together_record_the_first_key_once(engine: Engine) -> None:
    other = Checkpointer(DecisionLog(engine), fixed_signer())
    mine = Checkpointer(_RacedLog(engine, other), fixed_signer())
    # Both found the log empty; the other appended first: this one records nothing.
    assert mine.record_key_if_new(at(1)) is None
    assert [e.kind for e in mine.log.entries(0, 10)] == ["key_rotation"]
    mine.publish(at(2))
