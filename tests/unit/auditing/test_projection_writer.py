"""The projection writer on a real log: catches up when it lags, never projects a leaf twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select

from gateway.audit.canonical import canonical_json
from gateway.audit.log import DecisionLog
from gateway.auditing.projection import catch_up, decision_outcome, project_leaves
from gateway.auditing.tables import PROJECTION
from gateway.db import make_engine, migrate

AT = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def _decision(decision_id: str, outcomes: list[str]) -> bytes:
    return canonical_json(
        {
            "kind": "decision",
            "decision_id": decision_id,
            "decided_at": AT.isoformat(),
            "policy_revision": "sha256:x",
            "requester": {"agency": "DOJ-FBI", "official": "fbi-director"},
            "legal_basis": "6103_i_2",
            "purpose": "NONTAX_CRIMINAL",
            "outcome": decision_outcome(outcomes),
            "rules": ["GW-7"],
            "subjects": [
                {"taxpayer": f"p{i}", "outcome": o, "rules": ["6103-I2-2"], "released": []}
                for i, o in enumerate(outcomes)
            ],
        }
    )


def _review(decision_id: str, position: int, action: str) -> bytes:
    return canonical_json(
        {
            "kind": "review",
            "decision_id": decision_id,
            "subject_position": position,
            "action": action,
            "officer": "officer-1",
            "at": AT.isoformat(),
            "released": ["last_known_address"] if action == "approve" else [],
            "released_tax_year": 2024 if action == "approve" else None,
        }
    )


def test_a_log_written_without_the_writer_is_caught_up_at_the_next_append(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    try:
        bare = DecisionLog(engine)  # e.g. a command that did not register the writer
        bare.append("decision", _decision("d1", ["pending_review", "disclosed"]), at=AT)
        log = DecisionLog(engine)
        log.add_leaf_writer(project_leaves)
        log.append("review", _review("d1", 0, "approve"), at=AT)
        with engine.connect() as conn:
            rows = conn.execute(
                select(PROJECTION.c.position, PROJECTION.c.final_outcome)
                .where(PROJECTION.c.decision_id == "d1")
                .order_by(PROJECTION.c.position)
            ).all()
            finals = set(conn.execute(select(PROJECTION.c.decision_final_outcome)).scalars().all())
        assert [tuple(r) for r in rows] == [(0, "disclosed"), (1, "disclosed")]
        assert finals == {"allowed"}
        assert catch_up(engine) == 0  # nothing left to project, nothing projected twice
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(PROJECTION)).scalar_one() == 2
    finally:
        engine.dispose()


def test_decision_outcome_follows_its_subjects() -> None:
    assert decision_outcome(["disclosed", "disclosed"]) == "allowed"
    assert decision_outcome(["disclosed", "denied"]) == "partially_allowed"
    assert decision_outcome(["pending_review", "denied"]) == "pending_review"
    assert decision_outcome(["denied"]) == "denied"
    assert json.loads(_decision("d", ["denied"]))["outcome"] == "denied"
