"""Operational memory of the gateway: answered lookups (token ids: ``token_uses``).

Unlike the decision log these rows are mutable (a review later settles a
pending subject) and hold the agency's answer so that it can fetch it again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.errors import DatastoreUnavailableError
from gateway.store.models import SQLModel
from gateway.store.reviews import ReviewRow, add_pending

_lookup = SQLModel.metadata.tables["lookup"]
_INSERT = insert(_lookup)
"""Built once: it runs inside the log's write lock, where every microsecond is shared."""


@dataclass(frozen=True)
class StoredLookup:
    decision_id: str
    request_id: str
    agency_id: str
    payload_sha256: str
    status: str
    response_json: str
    created_at: datetime
    subjects_digest: str | None = None


def _row(r: object) -> StoredLookup:
    m = r._mapping  # type: ignore[attr-defined]
    return StoredLookup(
        decision_id=m["decision_id"],
        request_id=m["request_id"],
        agency_id=m["agency_id"],
        payload_sha256=m["payload_sha256"],
        status=m["status"],
        response_json=m["response_json"],
        created_at=m["created_at"],
        subjects_digest=m["subjects_digest"],
    )


def store_answer(conn: Connection, row: StoredLookup, reviews: Sequence[ReviewRow] = ()) -> None:
    """Store the answer and queue its pending subjects, in the caller's transaction.

    The caller is the decision leaf's own transaction (a companion of
    :meth:`gateway.audit.log.DecisionLog.append`), so that the log never holds a
    decision whose answer was not stored.
    """
    try:
        add_pending(conn, list(reviews))
        conn.execute(_INSERT, dataclasses.asdict(row))
    except SQLAlchemyError as exc:
        raise DatastoreUnavailableError("the answer could not be stored") from exc


def read_answer(conn: Connection, decision_id: str) -> StoredLookup | None:
    """The stored answer, read in the caller's transaction (a review settling it)."""
    r = conn.execute(select(_lookup).where(_lookup.c.decision_id == decision_id)).first()
    return _row(r) if r else None


def update_answer(conn: Connection, decision_id: str, *, response_json: str, status: str) -> None:
    """Replace the stored answer after a review settled one of its subjects."""
    try:
        conn.execute(
            update(_lookup)
            .where(_lookup.c.decision_id == decision_id)
            .values(response_json=response_json, status=status)
        )
    except SQLAlchemyError as exc:
        raise DatastoreUnavailableError("the settled answer could not be stored") from exc


class LookupStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def by_request_id(self, agency_id: str, request_id: str) -> StoredLookup | None:
        with self._read() as conn:
            r = conn.execute(
                select(_lookup)
                .where(_lookup.c.agency_id == agency_id, _lookup.c.request_id == request_id)
                .order_by(_lookup.c.created_at.desc())
            ).first()
        return _row(r) if r else None

    def recent_duplicate(
        self,
        agency_id: str,
        payload_sha256: str,
        subjects_digest: str,
        request_id: str,
        since: datetime,
    ) -> StoredLookup | None:
        """An earlier lookup under another request id that asked the same thing (GW-3b).

        Either the same ask, or the same subjects and periods where the earlier
        answer disclosed something or is still in review: a corrected resend of a
        request that was denied outright is a new ask, not a second disclosure.
        """
        t = _lookup
        same_subjects = and_(
            t.c.subjects_digest == subjects_digest,
            t.c.status.in_(("allowed", "partially_allowed", "pending_review")),
        )
        with self._read() as conn:
            r = conn.execute(
                select(t)
                .where(
                    t.c.agency_id == agency_id,
                    or_(t.c.payload_sha256 == payload_sha256, same_subjects),
                    t.c.request_id != request_id,
                    t.c.created_at >= since,
                )
                .order_by(t.c.created_at.desc())
            ).first()
        return _row(r) if r else None

    def get(self, decision_id: str) -> StoredLookup | None:
        with self._read() as conn:
            r = conn.execute(select(_lookup).where(_lookup.c.decision_id == decision_id)).first()
        return _row(r) if r else None

    def _read(self) -> Connection:
        try:
            return self._engine.connect()
        except SQLAlchemyError as exc:
            raise DatastoreUnavailableError("the datastore cannot be read") from exc
