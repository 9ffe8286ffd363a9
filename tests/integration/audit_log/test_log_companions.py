"""Companions and leaf writers: a leaf is durable exactly when the rows it vouches for are."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.engine import Connection, Engine

from gateway.audit.log import APPEND_LOCK_KEY, AppendedLeaf, DecisionLog, node_position
from gateway.audit.merkle import leaf_hash, root_from_leaf_hashes
from gateway.audit.tables import LOG_ENTRY, LOG_NODE
from gateway.errors import AuditLogUnavailableError, ConflictError
from gateway.store.db import write_transaction
from tests.integration.audit_log.conftest import at, fill, leaf

_scratch = MetaData()
ANSWER = Table(
    "test_answer",
    _scratch,
    Column("log_index", Integer, primary_key=True),
    Column("note", String, nullable=False),
)


@pytest.fixture
def answers(engine: Engine) -> Table:
    _scratch.create_all(engine)
    return ANSWER


def store(note: str) -> Callable[[Connection, int], None]:
    def write(conn: Connection, index: int) -> None:
        conn.execute(insert(ANSWER).values(log_index=index, note=note))

    return write


def refuse(conn: Connection, index: int) -> None:
    # Half-written rows first, so the test also sees that they are undone.
    conn.execute(insert(ANSWER).values(log_index=index, note="half"))
    conn.execute(insert(ANSWER).values(log_index=index, note="duplicate key"))


def stored(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return {int(i): n for i, n in conn.execute(select(ANSWER.c.log_index, ANSWER.c.note))}


@contextmanager
def one_batch(engine: Engine, log: DecisionLog) -> Iterator[ThreadPoolExecutor]:
    """Appends submitted inside the block after the first share one group commit.

    Another transaction holds the log's write lock, so the first submitted append's
    leader waits inside its transaction while the others queue behind it.
    """
    release = threading.Event()
    holding = threading.Event()

    def hold_lock() -> None:
        with write_transaction(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY})")
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    holding.wait(30)
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            yield pool
            release.set()
    finally:
        release.set()
        holder.join()


def wait_until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not check() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_companion_writes_its_rows_with_the_leafs_index_in_the_same_commit(
    engine: Engine, log: DecisionLog, answers: Table
) -> None:
    fill(log, 0, 2)
    before = log.commits
    index = log.append("decision", leaf(2), at=at(2), companion=store("answer 2"))
    assert index == 2
    assert stored(engine) == {2: "answer 2"}
    assert log.commits == before + 1


def test_a_failing_companion_leaves_neither_its_leaf_nor_its_rows(
    engine: Engine, log: DecisionLog, answers: Table
) -> None:
    fill(log, 0, 2)
    with pytest.raises(AuditLogUnavailableError):
        log.append("decision", leaf(2), at=at(2), companion=refuse)
    assert log.size() == 2
    assert stored(engine) == {}
    # The index it would have had is the next one given, and the tree is whole.
    assert log.append("decision", leaf(3), at=at(3), companion=store("answer 3")) == 2
    assert log.root(3) == root_from_leaf_hashes([leaf_hash(leaf(i)) for i in (0, 1, 3)])


def test_a_conflict_found_by_a_companion_reaches_the_caller_as_itself(
    engine: Engine, log: DecisionLog, answers: Table
) -> None:
    def conflict(conn: Connection, index: int) -> None:
        conn.execute(insert(ANSWER).values(log_index=index, note="undone"))
        raise ConflictError("settled concurrently")

    with pytest.raises(ConflictError):
        log.append("review", leaf(0), at=at(0), companion=conflict)
    assert log.size() == 0
    assert stored(engine) == {}


def test_one_failing_companion_does_not_sink_the_batch_it_shares(
    engine: Engine, log: DecisionLog, answers: Table
) -> None:
    fill(log, 0, 1)
    commits_before = log.commits
    with one_batch(engine, log) as pool:
        first = pool.submit(log.append, "decision", leaf(1), at=at(1), companion=store("a1"))
        wait_until(lambda: log.committing)
        futures: dict[int, Future[int]] = {
            i: pool.submit(
                log.append,
                "decision",
                leaf(i),
                at=at(i),
                companion=refuse if i == 5 else store(f"a{i}"),
            )
            for i in range(2, 10)
        }
        wait_until(lambda: log.queued == 8)
    assert first.result() == 1
    with pytest.raises(AuditLogUnavailableError):
        futures.pop(5).result()
    got = {i: f.result() for i, f in futures.items()}
    # The other seven shared one commit, numbered without a gap where leaf 5 would be.
    assert log.commits - commits_before == 2
    assert sorted(got.values()) == list(range(2, 9))
    assert log.size() == 9
    by_index = {e.index: e.body for e in log.entries(0, 9)}
    assert all(by_index[index] == leaf(i) for i, index in got.items())
    assert stored(engine) == {1: "a1", **{index: f"a{i}" for i, index in got.items()}}
    assert log.root(9) == root_from_leaf_hashes([leaf_hash(by_index[i]) for i in range(9)])


def test_leaf_writers_see_each_batchs_leaves_in_its_transaction(
    engine: Engine, log: DecisionLog, answers: Table
) -> None:
    seen: list[list[AppendedLeaf]] = []

    def project(conn: Connection, leaves: Sequence[AppendedLeaf]) -> None:
        # The leaves are already inserted when a writer runs.
        inserted = conn.execute(
            select(LOG_ENTRY.c.idx).where(LOG_ENTRY.c.idx.in_([x.index for x in leaves]))
        ).all()
        assert len(inserted) == len(leaves)
        seen.append(list(leaves))
        conn.execute(insert(ANSWER), [{"log_index": x.index, "note": x.kind} for x in leaves])

    log.add_leaf_writer(project)
    log.append_many([("decision", leaf(0), at(0)), ("review", leaf(1), at(1))])
    log.append("decision", leaf(2), at=at(2))
    assert [[(x.index, x.kind, x.body, x.at) for x in batch] for batch in seen] == [
        [(0, "decision", leaf(0), at(0)), (1, "review", leaf(1), at(1))],
        [(2, "decision", leaf(2), at(2))],
    ]
    assert stored(engine) == {0: "decision", 1: "review", 2: "decision"}


def test_a_failing_leaf_writer_fails_its_whole_batch_closed(
    engine: Engine, log: DecisionLog, answers: Table
) -> None:
    fill(log, 0, 1)
    broken = threading.Event()

    def project(conn: Connection, leaves: Sequence[AppendedLeaf]) -> None:
        if broken.is_set():
            raise RuntimeError("projection table is gone")

    log.add_leaf_writer(project)
    broken.set()
    with one_batch(engine, log) as pool:
        first = pool.submit(log.append, "decision", leaf(1), at=at(1), companion=store("a1"))
        wait_until(lambda: log.committing)
        rest = [
            pool.submit(log.append, "decision", leaf(i), at=at(i), companion=store(f"a{i}"))
            for i in range(2, 6)
        ]
        wait_until(lambda: log.queued == 4)
    for f in [first, *rest]:
        with pytest.raises(AuditLogUnavailableError):
            f.result()
    assert log.size() == 1
    assert stored(engine) == {}
    broken.clear()
    assert log.append("decision", leaf(1), at=at(1), companion=store("again")) == 1
    assert stored(engine) == {1: "again"}


def test_a_companions_rows_are_not_kept_when_the_leaf_cannot_be_written(
    engine: Engine, log: DecisionLog, answers: Table
) -> None:
    fill(log, 0, 3)
    with engine.begin() as conn:  # a stray tree row where leaf 3's hash belongs
        conn.execute(insert(LOG_NODE).values(pos=node_position(0, 3), hash=bytes(32)))
    with pytest.raises(AuditLogUnavailableError):
        log.append("decision", leaf(3), at=at(3), companion=store("a3"))
    assert log.size() == 3
    assert stored(engine) == {}
