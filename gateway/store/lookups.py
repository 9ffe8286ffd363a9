"""Operational memory of the gateway: answered lookups (token ids: ``token_uses``).

Unlike the decision log these rows are mutable (a review later settles a
pending subject) and hold the agency's answer so that it can fetch it again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.errors import DatastoreUnavailableError
from gateway.store.models import SQLModel
from gateway.store.reviews import ReviewRow, add_pending

_lookup = SQLModel.metadata.tables["lookup"]
_INSERT = insert(_lookup)
"""Built once: it runs inside the log's write lock, where every microsecond is shared."""

_DISCLOSING = ("allowed", "partially_allowed", "pending_review")
"""An earlier answer with these statuses makes the same subjects a second disclosure."""


def _newest_in_window(
    digest: ColumnElement[str | None], *extra: ColumnElement[bool]
) -> Select[Any]:
    """The newest lookup of an agency with one digest, inside the window, under another id.

    Shaped for the indexes of migration 0009, ``(agency_id, <digest>, created_at)``:
    an equality on the first two columns and a range, newest first, on the third,
    so the database walks one index range backwards and stops at the first row
    that passes the remaining filters.
    """
    t = _lookup
    return (
        select(t)
        .where(
            t.c.agency_id == bindparam("agency"),
            digest == bindparam("digest"),
            t.c.created_at >= bindparam("since"),
            t.c.request_id != bindparam("request_id"),
            *extra,
        )
        .order_by(t.c.created_at.desc())
        .limit(1)
    )


_SAME_ASK = _newest_in_window(_lookup.c.payload_sha256)
_SAME_SUBJECTS = _newest_in_window(_lookup.c.subjects_digest, _lookup.c.status.in_(_DISCLOSING))
_BY_REQUEST_ID = (
    select(_lookup)
    .where(
        _lookup.c.agency_id == bindparam("agency"),
        _lookup.c.request_id == bindparam("request_id"),
    )
    .order_by(_lookup.c.created_at.desc())
    .limit(1)
)
"""Built once each: they run on every lookup."""


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


def answer_to_request_id(conn: Connection, agency_id: str, request_id: str) -> StoredLookup | None:
    """The newest answer to this request id: one probe of ``ix_lookup_agency_request``."""
    r = conn.execute(_BY_REQUEST_ID, {"agency": agency_id, "request_id": request_id}).first()
    return _row(r) if r else None


def recent_duplicate(
    conn: Connection,
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

    Two probes, each the newest row of one index range (agency, digest, newest
    first inside the window), and the newer of the two wins. An ``OR`` of the
    two digests in one statement made the database read every lookup the
    agency ever stored (issue 11: 1 ms on an empty history, 6 ms after 4,000);
    each probe reads only rows with that very digest, so the cost no longer
    depends on how many other lookups the agency made.
    """
    params = {
        "agency": agency_id,
        "digest": payload_sha256,
        "request_id": request_id,
        "since": since,
    }
    same_ask = conn.execute(_SAME_ASK, params).first()
    same_subjects = conn.execute(_SAME_SUBJECTS, {**params, "digest": subjects_digest}).first()
    found = [_row(r) for r in (same_ask, same_subjects) if r is not None]
    # The same ask wins a tie: it is the stronger statement of what was repeated.
    return max(found, key=lambda row: row.created_at) if found else None


class LookupStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def by_request_id(self, agency_id: str, request_id: str) -> StoredLookup | None:
        """The newest answer to this request id: one probe of ``ix_lookup_agency_request``."""
        with self._read() as conn:
            return answer_to_request_id(conn, agency_id, request_id)

    def recent_duplicate(
        self,
        agency_id: str,
        payload_sha256: str,
        subjects_digest: str,
        request_id: str,
        since: datetime,
    ) -> StoredLookup | None:
        """:func:`recent_duplicate` on a connection of its own."""
        with self._read() as conn:
            return recent_duplicate(
                conn, agency_id, payload_sha256, subjects_digest, request_id, since
            )

    def get(self, decision_id: str) -> StoredLookup | None:
        with self._read() as conn:
            r = conn.execute(select(_lookup).where(_lookup.c.decision_id == decision_id)).first()
        return _row(r) if r else None

    def _read(self) -> Connection:
        try:
            return self._engine.connect()
        except SQLAlchemyError as exc:
            raise DatastoreUnavailableError("the datastore cannot be read") from exc
