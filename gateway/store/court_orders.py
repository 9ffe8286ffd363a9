"""The court-order registry's rows (``court_order_record``, migration v0004).

Rows are only ever inserted (the table's triggers refuse UPDATE and DELETE):
the versions of one order share a ``match_key`` and count up from 1, and the
one in force at an instant is the highest version recorded by then
(:func:`version_at`), so a decision made before a correction was recorded is
still explained by the version it saw. Everything returned is a frozen
dataclass; interpreting the rows is :mod:`gateway.court_orders`' job.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from gateway.store.models import COURT_ORDER_RECORD

_t = COURT_ORDER_RECORD


@dataclass(frozen=True)
class StoredCourtOrder:
    id: str
    match_key: str
    version: int
    supersedes: str | None
    order_type: str
    court: str
    court_type: str
    judge: str
    judge_type: str
    docket_number: str
    applicant_authorizer_role: str
    covered_tins: tuple[str, ...]
    covered_taxable_periods: tuple[int, ...]
    covered_data: tuple[str, ...]
    named_recipients: tuple[str, ...]
    warrant_type: str | None
    warrant_offense_class: str | None
    issued_at: datetime
    expires_at: datetime | None
    verification_source: str
    verification_note: str | None
    recorded_by: str
    recorded_by_role: str
    recorded_at: datetime
    log_index: int


_LISTS = ("covered_tins", "covered_taxable_periods", "covered_data", "named_recipients")


def _row(r: Any) -> StoredCourtOrder:
    return _row_from(dict(r._mapping))


def _row_from(m: dict[str, Any]) -> StoredCourtOrder:
    for name in _LISTS:
        m[name] = tuple(json.loads(m.pop(f"{name}_json")))
    m["log_index"] = int(m["log_index"])
    return StoredCourtOrder(**m)


def insert_order(conn: Connection, order: StoredCourtOrder) -> None:
    """Add one version; ``IntegrityError`` if its (match_key, version) or supersedes is taken."""
    values: dict[str, Any] = {k: v for k, v in asdict(order).items() if k not in _LISTS}
    for name in _LISTS:
        values[f"{name}_json"] = json.dumps(list(getattr(order, name)))
    conn.execute(insert(_t).values(**values))


def latest_version(conn: Connection, match_key: str) -> StoredCourtOrder | None:
    """The newest version recorded for this key, whenever it was recorded."""
    r = conn.execute(
        select(_t).where(_t.c.match_key == match_key).order_by(_t.c.version.desc()).limit(1)
    ).first()
    return _row(r) if r is not None else None


def version_at(conn: Connection, match_key: str, at: datetime) -> StoredCourtOrder | None:
    """The version in the registry at instant ``at``: the newest one recorded at or before it."""
    r = conn.execute(
        select(_t)
        .where(_t.c.match_key == match_key, _t.c.recorded_at <= at)
        .order_by(_t.c.version.desc())
        .limit(1)
    ).first()
    return _row(r) if r is not None else None


def by_id(conn: Connection, order_id: str) -> StoredCourtOrder | None:
    r = conn.execute(select(_t).where(_t.c.id == order_id)).first()
    return _row(r) if r is not None else None


def superseded_by(conn: Connection, order_id: str) -> str | None:
    """The id of the version that corrects this one, if any."""
    found: str | None = conn.execute(
        select(_t.c.id).where(_t.c.supersedes == order_id)
    ).scalar_one_or_none()
    return found


def list_orders(
    conn: Connection, *, current_only: bool, limit: int
) -> list[tuple[StoredCourtOrder, str | None]]:
    """Versions newest first, each with the id of the version that corrected it (if any).

    With ``current_only``, only the versions no later version supersedes.
    """
    later = _t.alias("later")
    query = (
        select(_t, later.c.id.label("superseded_by"))
        .select_from(_t.outerjoin(later, later.c.supersedes == _t.c.id))
        .order_by(_t.c.recorded_at.desc(), _t.c.id)
        .limit(limit)
    )
    if current_only:
        query = query.where(later.c.id.is_(None))
    found = []
    for r in conn.execute(query):
        m = dict(r._mapping)
        newer = m.pop("superseded_by")
        found.append((_row_from(m), newer))
    return found
