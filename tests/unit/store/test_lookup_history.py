"""The replay checks on SQLite and PostgreSQL: what they find, and that each is an
index probe whose cost does not depend on the agency's history (issue 11 item 2).

The plan tests explain the very statements the store runs (captured from the
driver), so a change of query or a missing index shows up here, not in a benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine

from gateway.store.db import make_engine, migrate
from gateway.store.lookups import LookupStore
from gateway.store.models import LOOKUP

NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
SINCE = NOW - timedelta(hours=24)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


def _store(engine: Engine, *rows: dict[str, Any]) -> LookupStore:
    base = {
        "agency_id": "DOJ-FBI",
        "payload_sha256": "p-other",
        "subjects_digest": "s-other",
        "status": "allowed",
        "response_json": "{}",
        "created_at": NOW - timedelta(hours=1),
    }
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(LOOKUP), [base | row for row in rows])
    return LookupStore(engine)


def test_the_same_ask_under_another_request_id_is_a_duplicate(engine: Engine) -> None:
    store = _store(engine, {"decision_id": "d1", "request_id": "R1", "payload_sha256": "p"})
    found = store.recent_duplicate("DOJ-FBI", "p", "s", "R2", SINCE)
    assert found is not None
    assert found.decision_id == "d1"


def test_the_same_request_id_another_agency_or_outside_the_window_is_not(
    engine: Engine,
) -> None:
    store = _store(
        engine,
        {"decision_id": "d1", "request_id": "R1", "payload_sha256": "p", "subjects_digest": "s"},
        {"decision_id": "d2", "request_id": "X", "agency_id": "DHS-ICE", "payload_sha256": "p"},
        {
            "decision_id": "d3",
            "request_id": "OLD",
            "payload_sha256": "p",
            "created_at": SINCE - timedelta(seconds=1),
        },
    )
    assert store.recent_duplicate("DOJ-FBI", "p", "s", "R1", SINCE) is None


@pytest.mark.parametrize(
    ("status", "duplicate"),
    [("allowed", True), ("partially_allowed", True), ("pending_review", True), ("denied", False)],
)
def test_the_same_subjects_are_a_duplicate_only_after_a_disclosure_or_a_review(
    engine: Engine, status: str, duplicate: bool
) -> None:
    store = _store(
        engine, {"decision_id": "d1", "request_id": "R1", "subjects_digest": "s", "status": status}
    )
    found = store.recent_duplicate("DOJ-FBI", "p", "s", "R2", SINCE)
    assert (found is not None and found.decision_id == "d1") is duplicate


def test_the_newer_of_the_two_kinds_of_duplicate_is_named(engine: Engine) -> None:
    store = _store(
        engine,
        {"decision_id": "ask-old", "request_id": "A0", "payload_sha256": "p"},
        {
            "decision_id": "ask", "request_id": "A1", "payload_sha256": "p",
            "created_at": NOW - timedelta(minutes=30),
        },
        {
            "decision_id": "subjects", "request_id": "S1", "subjects_digest": "s",
            "created_at": NOW - timedelta(minutes=10),
        },
    )  # fmt: skip
    found = store.recent_duplicate("DOJ-FBI", "p", "s", "R2", SINCE)
    assert found is not None
    assert found.decision_id == "subjects"
    found = store.recent_duplicate("DOJ-FBI", "p", "s-new", "R2", SINCE)
    assert found is not None
    assert found.decision_id == "ask"


def test_a_request_id_finds_its_newest_answer(engine: Engine) -> None:
    store = _store(
        engine,
        {"decision_id": "first", "request_id": "R1", "created_at": NOW - timedelta(hours=2)},
        {"decision_id": "again", "request_id": "R1"},
        {"decision_id": "theirs", "request_id": "R1", "agency_id": "DHS-ICE"},
    )
    found = store.by_request_id("DOJ-FBI", "R1")
    assert found is not None
    assert found.decision_id == "again"
    assert store.by_request_id("DOJ-FBI", "R2") is None


# -- plans ----------------------------------------------------------------------------------


def _statements(engine: Engine, call: Callable[[LookupStore], object]) -> list[tuple[str, Any]]:
    """The SQL and parameters the store sent to the driver while running ``call``."""
    sent: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        sent.append((args[2], args[3]))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        call(LookupStore(engine))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return [(sql, params) for sql, params in sent if "FROM lookup" in sql]


def _plans(engine: Engine, call: Callable[[LookupStore], object]) -> list[str]:
    """Each statement's plan, one string per statement (PostgreSQL: sequential scans off,
    so that a tiny table does not make a scan the cheaper choice)."""
    statements = _statements(engine, call)
    assert statements, "the store ran no statement on lookup"
    plans = []
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            for sql, params in statements:
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
                plans.append("\n".join(str(r[-1]) for r in rows))
        else:
            conn.execute(text("SET enable_seqscan = off"))
            for sql, params in statements:
                rows = conn.exec_driver_sql(f"EXPLAIN {sql}", params).all()
                plans.append("\n".join(str(r[0]) for r in rows))
    return plans


def _assert_index_probe(engine: Engine, plan: str, index: str) -> None:
    """One index range read in index order: no scan of the table and no sort."""
    if engine.dialect.name == "sqlite":
        assert f"SEARCH lookup USING INDEX {index} (agency_id=? AND" in plan, plan
        assert "SCAN" not in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert f"Index Scan Backward using {index} on lookup" in plan, plan
        assert "Seq Scan" not in plan, plan
        assert "Sort" not in plan, plan


def test_the_duplicate_check_is_two_index_probes(engine: Engine) -> None:
    _store(engine, *({"decision_id": f"d{i}", "request_id": f"R{i}"} for i in range(50)))
    plans = _plans(
        engine, lambda store: store.recent_duplicate("DOJ-FBI", "p", "s", "R-new", SINCE)
    )
    assert len(plans) == 2
    _assert_index_probe(engine, plans[0], "ix_lookup_agency_payload")
    _assert_index_probe(engine, plans[1], "ix_lookup_agency_subjects")


def test_the_request_id_check_is_one_index_probe(engine: Engine) -> None:
    _store(engine, *({"decision_id": f"d{i}", "request_id": f"R{i}"} for i in range(50)))
    plans = _plans(engine, lambda store: store.by_request_id("DOJ-FBI", "R-new"))
    assert len(plans) == 1
    _assert_index_probe(engine, plans[0], "ix_lookup_agency_request")
