"""The stored log: durable contiguous appends, group commit, the stored tree and its triggers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from sqlalchemy import delete, insert, inspect, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from gateway.audit.log import DecisionLog, node_position
from gateway.audit.merkle import (
    consistency_proof_from_leaf_hashes,
    inclusion_proof_from_leaf_hashes,
    leaf_hash,
    root_from_leaf_hashes,
)
from gateway.audit.tables import LOG_CHECKPOINT, LOG_ENTRY, LOG_NODE
from gateway.db import alembic_config, make_engine, migrate, write_transaction
from gateway.errors import AuditLogUnavailableError
from tests.integration.audit_log.conftest import T0, at, fill, leaf
from tests.schema_drift import schema_drift


def test_appends_return_contiguous_indices_from_zero(log: DecisionLog) -> None:
    assert fill(log, 0, 5) == [0, 1, 2, 3, 4]
    assert log.size() == 5
    assert [e.body for e in log.entries(0, 5)] == [leaf(i) for i in range(5)]


def test_append_many_writes_consecutive_indices_in_one_transaction(log: DecisionLog) -> None:
    fill(log, 0, 2)
    before = log.commits
    indices = log.append_many([("decision", leaf(i), at(i)) for i in range(2, 12)])
    assert indices == list(range(2, 12))
    assert log.commits == before + 1


def test_stored_tree_answers_every_proof_like_the_in_memory_tree(log: DecisionLog) -> None:
    fill(log, 0, 21)
    hashes = [leaf_hash(leaf(i)) for i in range(21)]
    for size in range(0, 22):
        assert log.root(size) == root_from_leaf_hashes(hashes[:size])
        for index in range(size):
            assert log.inclusion_proof(index, size) == inclusion_proof_from_leaf_hashes(
                index, hashes[:size]
            )
        for first in range(size + 1):
            assert log.consistency_proof(first, size) == consistency_proof_from_leaf_hashes(
                first, hashes[:size]
            )


def test_concurrent_appends_are_group_committed_with_unique_contiguous_indices(
    engine: Engine, log: DecisionLog
) -> None:
    fill(log, 0, 1)
    threads = 24
    commits_before = log.commits
    # Hold the database's write lock so the first leader waits inside its transaction
    # while every other thread queues behind it; they then share one commit.
    blocker = DecisionLog(engine)
    release = threading.Event()
    holding = threading.Event()

    def hold_lock() -> None:
        with write_transaction(engine) as conn:
            if conn.dialect.name == "postgresql":
                from gateway.audit.log import APPEND_LOCK_KEY

                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY})")
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    holding.wait(30)
    deadline = time.monotonic() + 30
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(log.append, "decision", leaf(1), at=at(1))]
        while not log.committing and time.monotonic() < deadline:
            time.sleep(0.01)
        futures += [
            pool.submit(log.append, "decision", leaf(i), at=at(i)) for i in range(2, threads + 1)
        ]
        while log.queued < threads - 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()
        indices = sorted(f.result(timeout=60) for f in futures)
    holder.join()
    assert indices == list(range(1, threads + 1))
    assert log.commits - commits_before == 2  # the waiting leader's leaf, then all the others
    assert blocker.size() == threads + 1


def test_two_writers_on_one_database_share_one_sequence_and_one_tree(engine: Engine) -> None:
    a, b = DecisionLog(engine), DecisionLog(engine)
    got = []
    for i in range(10):
        writer = a if i % 3 else b
        got.append(writer.append("decision", leaf(i), at=at(i)))
    assert got == list(range(10))
    hashes = [leaf_hash(leaf(i)) for i in range(10)]
    assert a.root(10) == b.root(10) == root_from_leaf_hashes(hashes)


def test_a_failed_commit_returns_no_index_and_the_next_append_reuses_nothing(
    engine: Engine, log: DecisionLog
) -> None:
    fill(log, 0, 3)
    # A stray tree row where leaf 3's hash belongs makes the next commit fail as a whole.
    with engine.begin() as conn:
        conn.execute(insert(LOG_NODE).values(pos=node_position(0, 3), hash=bytes(32)))
    with pytest.raises(AuditLogUnavailableError):
        log.append("decision", leaf(3), at=at(3))
    assert log.size() == 3
    assert [e.index for e in log.entries(0, 10)] == [0, 1, 2]


def test_appends_survive_a_new_process(database_url: str) -> None:
    first = make_engine(database_url)
    migrate(first)
    fill(DecisionLog(first), 0, 4)
    first.dispose()
    second = make_engine(database_url)
    log = DecisionLog(second)
    assert log.append("decision", leaf(4), at=at(4)) == 4
    assert log.root(5) == root_from_leaf_hashes([leaf_hash(leaf(i)) for i in range(5)])
    second.dispose()


@pytest.mark.parametrize("table", [LOG_NODE, LOG_CHECKPOINT])
def test_tree_and_checkpoint_tables_refuse_update_and_delete(engine: Engine, table: object) -> None:
    log = DecisionLog(engine)
    fill(log, 0, 2)
    with engine.begin() as conn:
        conn.execute(
            insert(LOG_CHECKPOINT).values(size=2, root=bytes(32), note="n\n", created_at=T0)
        )
    name = table.name  # type: ignore[attr-defined]
    with pytest.raises(DBAPIError, match=f"{name} is append-only"), engine.begin() as conn:
        conn.execute(update(table).values(**{"hash" if name == "log_node" else "note": b"x"}))  # type: ignore[arg-type]
    with pytest.raises(DBAPIError, match=f"{name} is append-only"), engine.begin() as conn:
        conn.execute(delete(table))  # type: ignore[arg-type]


def test_postgres_refuses_truncating_any_log_table(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    migrate(engine)
    fill(DecisionLog(engine), 0, 1)
    for table in (LOG_ENTRY, LOG_NODE, LOG_CHECKPOINT):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table.name}"))
    engine.dispose()


def test_upgrading_a_v0001_log_computes_the_tree_of_its_leaves(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config()
    with write_transaction(engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    with engine.begin() as conn:
        conn.execute(
            insert(LOG_ENTRY),
            [
                {
                    "idx": i,
                    "kind": "decision",
                    "body": leaf(i),
                    "leaf_hash": leaf_hash(leaf(i)),
                    "created_at": at(i),
                }
                for i in range(13)
            ],
        )
    migrate(engine)
    log = DecisionLog(engine)
    hashes = [leaf_hash(leaf(i)) for i in range(13)]
    assert log.root(13) == root_from_leaf_hashes(hashes)
    assert log.inclusion_proof(5, 13) == inclusion_proof_from_leaf_hashes(5, hashes)
    assert log.append("decision", leaf(13), at=at(13)) == 13
    with engine.connect() as conn:
        assert conn.execute(select(LOG_NODE.c.pos)).scalars().all()
    engine.dispose()


def test_migration_creates_the_log_tables_exactly_as_modelled(engine: Engine) -> None:
    assert {t.name for t in (LOG_ENTRY, LOG_NODE, LOG_CHECKPOINT)} <= set(
        inspect(engine).get_table_names()
    )
    assert schema_drift(engine) == []
