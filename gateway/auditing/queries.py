"""SQL over the audit projection; never over the log's leaves, except one leaf by index.

Search is keyset-paginated on ``(log_index DESC, position ASC)``: newest
decisions first, a page boundary never skips or repeats a row however many
leaves are appended meanwhile, and every page is one indexed range read.
Reports aggregate in the database (``COUNT``/``SUM`` grouped by one column).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, exists, func, literal_column, or_, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from gateway.audit.tables import LOG_ENTRY
from gateway.auditing.tables import PROJECTION, PROJECTION_RULE
from gateway.auditing.views import (
    DECISION_OUTCOMES,
    Backlog,
    Count,
    DayCount,
    ProjectionRow,
    SearchFilters,
)

t = PROJECTION
r = PROJECTION_RULE

_COLUMNS = (
    t.c.decision_id,
    t.c.position,
    t.c.log_index,
    t.c.kind,
    t.c.decided_at,
    t.c.agency,
    t.c.official,
    t.c.legal_basis,
    t.c.purpose,
    t.c.policy_revision,
    t.c.request_rules,
    t.c.decision_outcome,
    t.c.decision_final_outcome,
    t.c.taxpayer,
    t.c.subject_outcome,
    t.c.final_outcome,
    t.c.subject_rules,
    t.c.released,
    t.c.tax_year,
    t.c.review_action,
    t.c.reviewed_at,
    t.c.review_officer,
    t.c.review_log_index,
)


def _tuple(text: str) -> tuple[str, ...]:
    return tuple(str(v) for v in json.loads(text))


def to_row(row: Row[*tuple[Any, ...]]) -> ProjectionRow:
    m = row._mapping
    return ProjectionRow(
        decision_id=m["decision_id"],
        position=int(m["position"]),
        log_index=int(m["log_index"]),
        kind=m["kind"],
        decided_at=m["decided_at"],
        agency=m["agency"],
        official=m["official"],
        legal_basis=m["legal_basis"],
        purpose=m["purpose"],
        policy_revision=m["policy_revision"],
        request_rules=_tuple(m["request_rules"]),
        decision_outcome=m["decision_outcome"],
        decision_final_outcome=m["decision_final_outcome"],
        taxpayer=m["taxpayer"],
        subject_outcome=m["subject_outcome"],
        final_outcome=m["final_outcome"],
        subject_rules=_tuple(m["subject_rules"]),
        released=_tuple(m["released"]),
        tax_year=m["tax_year"],
        review_action=m["review_action"],
        reviewed_at=m["reviewed_at"],
        review_officer=m["review_officer"],
        review_log_index=None if m["review_log_index"] is None else int(m["review_log_index"]),
    )


def _conditions(f: SearchFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    for column, value in (
        (t.c.agency, f.agency),
        (t.c.official, f.official),
        (t.c.final_outcome, f.outcome),
        (t.c.legal_basis, f.legal_basis),
        (t.c.purpose, f.purpose),
    ):
        if value is not None:
            where.append(column == value)
    if f.since is not None:
        where.append(t.c.decided_at >= f.since)
    if f.until is not None:
        where.append(t.c.decided_at < f.until)
    if f.rule is not None:
        where.append(
            exists().where(
                r.c.decision_id == t.c.decision_id,
                r.c.position == t.c.position,
                r.c.rule == f.rule,
            )
        )
    return where


def search(
    conn: Connection, f: SearchFilters, after: tuple[int, int] | None, limit: int
) -> list[ProjectionRow]:
    """Up to ``limit`` rows matching ``f``, after the keyset position ``after``."""
    query: Select[Any] = select(*_COLUMNS).where(*_conditions(f))
    if after is not None:
        index, position = after
        query = query.where(
            or_(t.c.log_index < index, and_(t.c.log_index == index, t.c.position > position))
        )
    query = query.order_by(t.c.log_index.desc(), t.c.position.asc()).limit(limit)
    return [to_row(row) for row in conn.execute(query)]


def decision_rows(conn: Connection, decision_id: str) -> list[ProjectionRow]:
    query = select(*_COLUMNS).where(t.c.decision_id == decision_id).order_by(t.c.position)
    return [to_row(row) for row in conn.execute(query)]


def taxpayer_rows(conn: Connection, pseudonyms: Sequence[str]) -> list[ProjectionRow]:
    """Rows naming the taxpayer under any of ``pseudonyms`` (one per pseudonym key)."""
    query = (
        select(*_COLUMNS)
        .where(t.c.taxpayer.in_(list(pseudonyms)))
        .order_by(t.c.log_index.desc(), t.c.position)
    )
    return [to_row(row) for row in conn.execute(query)]


def leaf_bodies(conn: Connection, indices: Sequence[int]) -> dict[int, bytes]:
    """The leaves at ``indices`` (primary-key look-ups, never a scan)."""
    found: dict[int, bytes] = {}
    wanted = sorted(set(indices))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(LOG_ENTRY.c.idx, LOG_ENTRY.c.body).where(LOG_ENTRY.c.idx.in_(chunk))
        found.update((int(i), bytes(b)) for i, b in conn.execute(query))
    return found


def _in_range(since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    return [t.c.decided_at >= since, t.c.decided_at < until]


def _count_columns() -> tuple[Any, ...]:
    def outcome(name: str) -> Any:
        return func.coalesce(func.sum(case((t.c.final_outcome == name, 1), else_=0)), 0)

    return (
        func.count(func.distinct(t.c.decision_id)),
        func.count(),
        outcome("disclosed"),
        outcome("pending_review"),
        outcome("denied"),
    )


def _count(key: str, values: Sequence[Any]) -> Count:
    return Count(
        key=key,
        decisions=int(values[0]),
        subjects=int(values[1]),
        disclosed=int(values[2]),
        pending_review=int(values[3]),
        denied=int(values[4]),
    )


def total(conn: Connection, since: datetime, until: datetime) -> Count:
    values = conn.execute(select(*_count_columns()).where(*_in_range(since, until))).one()
    return _count("all", tuple(values))


def grouped(
    conn: Connection,
    column: str,
    since: datetime,
    until: datetime,
    *,
    only_outcome: str | None = None,
    limit: int | None = None,
) -> list[Count]:
    """Counts per value of one projection column (``rule``: per rule that fired)."""
    where = _in_range(since, until)
    if only_outcome is not None:
        where.append(t.c.final_outcome == only_outcome)
    key: Any
    if column == "rule":
        key = r.c.rule
        base = select(key, *_count_columns()).select_from(
            t.join(r, and_(r.c.decision_id == t.c.decision_id, r.c.position == t.c.position))
        )
    else:
        key = func.coalesce(t.c[column], literal_column("'(none)'"))
        base = select(key, *_count_columns()).select_from(t)
    query = base.where(*where).group_by(key).order_by(func.count().desc(), key)
    if limit is not None:
        query = query.limit(limit)
    return [_count(str(row[0]), tuple(row[1:])) for row in conn.execute(query)]


def per_day(conn: Connection, since: datetime, until: datetime) -> list[DayCount]:
    """Decisions per UTC day by final decision outcome, every day of the range present."""
    if conn.dialect.name == "postgresql":
        day: Any = cast(func.timezone("UTC", t.c.decided_at), Date)
    else:
        day = func.date(t.c.decided_at)  # SQLite stores UTC text
    query = (
        select(day, t.c.decision_final_outcome, func.count(func.distinct(t.c.decision_id)))
        .where(*_in_range(since, until))
        .group_by(day, t.c.decision_final_outcome)
    )
    counts: dict[date, dict[str, int]] = {}
    for when, outcome, n in conn.execute(query):
        d = when if isinstance(when, date) else date.fromisoformat(str(when))
        counts.setdefault(d, {})[str(outcome)] = int(n)
    first = since.astimezone(UTC).date()
    last = (until.astimezone(UTC) - timedelta(microseconds=1)).date()  # until is exclusive
    days: list[DayCount] = []
    current = first
    while current <= last and len(days) < 3660:
        found = counts.get(current, {})
        days.append(DayCount(current, {o: found.get(o, 0) for o in DECISION_OUTCOMES}))
        current = date.fromordinal(current.toordinal() + 1)
    return days


def backlog(conn: Connection, now: datetime) -> Backlog:
    """Subjects waiting for a disclosure officer, whenever they were decided."""
    pending = [
        when
        for (when,) in conn.execute(
            select(t.c.decided_at).where(t.c.final_outcome == "pending_review")
        )
    ]
    if not pending:
        return Backlog(pending=0, oldest_at=None, oldest_age_seconds=None, median_age_seconds=None)
    ages = [(now - when).total_seconds() for when in pending]
    return Backlog(
        pending=len(pending),
        oldest_at=min(pending),
        oldest_age_seconds=max(ages),
        median_age_seconds=statistics.median(ages),
    )
