"""The review queue's rows: subjects awaiting a disclosure officer, and their outcome.

Beside the queue, the facts a release waits for (migration v0008): the court
notice filed for a decision (``court_notice_filing``) and the first officer's
approval of a subject that needs two (``review_first_approval``). Both are
append-only and written only in the transaction of their own log leaf.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from gateway.store.models import COURT_NOTICE_FILING, REVIEW_FIRST_APPROVAL, REVIEW_ITEM


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
    decision_log_index: int | None = None
    """The index of the decision's own leaf (its sealed policy input), when read with it."""


@dataclass(frozen=True)
class CourtNoticeFilingRow:
    decision_id: str
    filed_by: str
    filed_at: datetime
    court: str
    reference: str
    recorded_by: str
    recorded_by_role: str
    recorded_at: datetime
    log_index: int


@dataclass(frozen=True)
class FirstApprovalRow:
    decision_id: str
    position: int
    officer: str
    approved_at: datetime
    log_index: int


def review_row(r: Any) -> ReviewRow:
    """A queue row from a result row (which may carry ``decision_log_index`` too)."""
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
        decision_log_index=m.get("decision_log_index"),
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
        return [review_row(r) for r in conn.execute(query)]


def for_decision(conn: Connection, decision_id: str) -> list[ReviewRow]:
    t = REVIEW_ITEM
    rows = conn.execute(select(t).where(t.c.decision_id == decision_id).order_by(t.c.position))
    return [review_row(r) for r in rows]


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


# -- court-notice filings and first approvals ---------------------------------------------


def filings(conn: Connection, decision_ids: list[str]) -> dict[str, CourtNoticeFilingRow]:
    """The court notices filed for these decisions, by decision id."""
    t = COURT_NOTICE_FILING
    found: dict[str, CourtNoticeFilingRow] = {}
    wanted = sorted(set(decision_ids))
    for start in range(0, len(wanted), 500):
        rows = conn.execute(select(t).where(t.c.decision_id.in_(wanted[start : start + 500])))
        for r in rows:
            m = r._mapping
            found[m["decision_id"]] = CourtNoticeFilingRow(**{k: m[k] for k in _FILING_FIELDS})
    return found


_FILING_FIELDS = tuple(CourtNoticeFilingRow.__dataclass_fields__)


def add_filing(conn: Connection, row: CourtNoticeFilingRow) -> bool:
    """Record a filing in its leaf's transaction; False if the decision has one already.

    The log's write lock serializes leaf transactions, so the check and the insert
    cannot interleave with another filing for the same decision.
    """
    if filings(conn, [row.decision_id]):
        return False
    conn.execute(insert(COURT_NOTICE_FILING).values(**row.__dict__))
    return True


def first_approvals(
    conn: Connection, keys: list[tuple[str, int]]
) -> dict[tuple[str, int], FirstApprovalRow]:
    """The first approvals recorded for these (decision id, position) pairs."""
    t = REVIEW_FIRST_APPROVAL
    found: dict[tuple[str, int], FirstApprovalRow] = {}
    wanted = set(keys)
    decision_ids = sorted({d for d, _ in wanted})
    for start in range(0, len(decision_ids), 500):
        rows = conn.execute(select(t).where(t.c.decision_id.in_(decision_ids[start : start + 500])))
        for r in rows:
            m = r._mapping
            key = (m["decision_id"], int(m["position"]))
            if key in wanted:
                found[key] = FirstApprovalRow(
                    decision_id=key[0],
                    position=key[1],
                    officer=m["officer"],
                    approved_at=m["approved_at"],
                    log_index=int(m["log_index"]),
                )
    return found


def add_first_approval(conn: Connection, row: FirstApprovalRow) -> bool:
    """Record a first approval in its leaf's transaction; False if there is one already
    or the item is no longer pending (serialized by the log's write lock, as above)."""
    key = (row.decision_id, row.position)
    if first_approvals(conn, [key]):
        return False
    t = REVIEW_ITEM
    pending = conn.execute(
        select(t.c.status).where(t.c.decision_id == row.decision_id, t.c.position == row.position)
    ).scalar_one_or_none()
    if pending != "pending":
        return False
    conn.execute(insert(REVIEW_FIRST_APPROVAL).values(**row.__dict__))
    return True
