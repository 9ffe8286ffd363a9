"""The audit projection is kept in the leaf's transaction and equals a rebuild from the log."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from gateway.auditing.projection import rebuild
from gateway.auditing.tables import PROJECTION, PROJECTION_RULE, PROJECTION_STATE
from gateway.services import Services
from tests.integration.auditing.workload import run_workload
from tests.support import Tokens


def _services(client: TestClient) -> Services:
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    return svc


def _snapshot(engine: Engine) -> tuple[list[tuple[Any, ...]], ...]:
    with engine.connect() as conn:
        return tuple(
            sorted(tuple(row) for row in conn.execute(select(table)))
            for table in (PROJECTION, PROJECTION_RULE, PROJECTION_STATE)
        )


def test_rebuild_from_the_log_equals_the_live_projection(
    client: TestClient, tokens: Tokens
) -> None:
    work = run_workload(client, tokens)
    svc = _services(client)
    live = _snapshot(svc.engine)
    finals = {row[0]: row for row in live[0]}
    # The live rows carry each final outcome, after review, without reading leaves.
    by_decision = {r[0]: r for r in live[0]}
    columns = [c.name for c in PROJECTION.columns]
    final = columns.index("final_outcome")
    decided = columns.index("subject_outcome")
    assert by_decision[work.allowed][final] == "disclosed"
    assert by_decision[work.denied][final] == "denied"
    assert by_decision[work.pending][final] == "pending_review"
    assert (by_decision[work.approved][decided], by_decision[work.approved][final]) == (
        "pending_review",
        "disclosed",
    )
    assert by_decision[work.rejected][final] == "denied"
    assert len(finals) == 5
    leaves = rebuild(svc.engine)
    assert leaves == svc.decision_log.size()
    assert _snapshot(svc.engine) == live


def test_projection_rows_hold_no_taxpayer_data(client: TestClient, tokens: Tokens) -> None:
    run_workload(client, tokens)
    rows = _snapshot(_services(client).engine)
    text = json.dumps(rows, default=str)
    for personal in ("123-45-6789", "123456789", "Rivera", "1420 Elm", "Whitfield"):
        assert personal not in text
