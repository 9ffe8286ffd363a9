"""The review queue's rows: subjects awaiting a disclosure officer, and their outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from gateway.store.models import REVIEW_ITEM


@dataclass(frozen=True)
class ReviewRow:
    decision_id: str
    position: int
    ref: str
    agency_id: str
    legal_basis: str
    status: str
    taxpayer_id: int | None
    release_tax_year: int | None
    findings: list[dict[str, Any]]
    obligations: list[str]
    created_at: datetime
    decided_at: datetime | None
    officer: str | None
    log_index: int | None


def _row(r: Any) -> ReviewRow:
    m = r._mapping
    return ReviewRow(
        decision_id=m["decision_id"],
        position=int(m["position"]),
        ref=m["ref"],
        agency_id=m["agency_id"],
        legal_basis=m["legal_basis"],
        status=m["status"],
        taxpayer_id=m["taxpayer_id"],
        release_tax_year=m["release_tax_year"],
        findings=json.loads(m["findings_json"]),
        obligations=json.loads(m["obligations_json"]),
        created_at=m["created_at"],
        decided_at=m["decided_at"],
        officer=m["officer"],
        log_index=m["log_index"],
    )


def add_pending(conn: Connection, rows: list[ReviewRow]) -> None:
    """Queue subjects in the caller's transaction (the one that stores the lookup)."""
    if not rows:
        return
    conn.execute(
        insert(REVIEW_ITEM),
        [
            {
                "decision_id": r.decision_id,
                "position": r.position,
                "ref": r.ref,
                "agency_id": r.agency_id,
                "legal_basis": r.legal_basis,
                "status": r.status,
                "taxpayer_id": r.taxpayer_id,
                "release_tax_year": r.release_tax_year,
                "findings_json": json.dumps(r.findings),
                "obligations_json": json.dumps(r.obligations),
                "created_at": r.created_at,
            }
            for r in rows
        ],
    )


def list_reviews(engine: Engine, status: str | None, limit: int) -> list[ReviewRow]:
    t = REVIEW_ITEM
    query = select(t).order_by(t.c.created_at, t.c.decision_id, t.c.position).limit(limit)
    if status is not None:
        query = query.where(t.c.status == status)
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def for_decision(conn: Connection, decision_id: str) -> list[ReviewRow]:
    t = REVIEW_ITEM
    rows = conn.execute(select(t).where(t.c.decision_id == decision_id).order_by(t.c.position))
    return [_row(r) for r in rows]


def settle(
    conn: Connection,
    item: ReviewRow,
    *,
    status: str,
    officer: str,
    at: datetime,
    log_index: int,
) -> bool:
    """Record the officer's outcome on a pending row; False if it was settled already.

    Runs in the review leaf's transaction (``gateway.reviews``), which also updates
    the agency's stored answer.
    """
    t = REVIEW_ITEM
    done = conn.execute(
        update(t)
        .where(
            t.c.decision_id == item.decision_id,
            t.c.position == item.position,
            t.c.status == "pending",
        )
        .values(status=status, officer=officer, decided_at=at, log_index=log_index)
    )
    return int(done.rowcount) == 1
