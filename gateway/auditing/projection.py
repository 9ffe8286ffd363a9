"""Keeps the audit projection in step with the decision log, in the leaf's own transaction.

:func:`project_leaves` is a :data:`~gateway.audit.log.LeafWriter`: the log calls
it inside every append transaction, after the batch's leaves are inserted, so a
committed leaf always has its projection rows and a leaf that did not commit
has none. It reads only the leaves it is given (never scans the log) unless the
projection lags behind them (``audit_projection_state.next_index``): then it
first projects the missing leaves, read from the same transaction.

The state row is advanced by one conditional ``UPDATE ... WHERE next_index =
<the batch's first index>`` rather than read and then written: in the usual case
(the projection is exactly up to the batch) that one statement both checks and
advances it, atomically under the log's lock, whichever process or host
appended before. No copy of it is kept in memory: commands that append without
this writer (checkpoint keys, policy activations) move the log on without moving
the state, and rebuilds reset it, so a cached value would need this same check.
The row itself must still be written every batch, because those other appenders
and :func:`catch_up` read it to know where projecting resumes.

What each leaf kind does:

* ``decision``: one row per subject, with the outcome as decided as its final
  outcome, and one ``audit_projection_rule`` row per rule (request-level and
  the subject's own);
* ``review``: the subject's final outcome becomes ``disclosed`` (an approval
  that released the address) or ``denied``, with the officer and the review's
  index; every row of the decision gets the decision's new final outcome;
* ``decision_failure``: one row at position 0, no taxpayer, denied;
* anything else (checkpoint keys, policy activations, court orders, audit
  access): nothing.

:func:`rebuild` empties the projection and replays the whole log under the log's
write lock, so it equals what the live writer built (a test proves it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, cast, get_args

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from gateway.audit.log import AppendedLeaf, lock_for_append
from gateway.audit.tables import LOG_ENTRY
from gateway.auditing.tables import PROJECTION, PROJECTION_RULE, PROJECTION_STATE
from gateway.db import write_transaction
from gateway.outcomes import SubjectOutcome, request_outcome

__all__ = ["catch_up", "decision_outcome", "project_leaves", "projected_until", "rebuild"]

_CHUNK = 2000
_SUBJECT_OUTCOMES = frozenset(get_args(SubjectOutcome))
Progress = Callable[[int], None]
# Built once (as the log's own statements): building one costs about as much as executing it.
_INSERT_ROWS = insert(PROJECTION)
_INSERT_RULES = insert(PROJECTION_RULE)
_ADVANCE = (
    update(PROJECTION_STATE)
    .where(PROJECTION_STATE.c.id == 1, PROJECTION_STATE.c.next_index == bindparam("expected"))
    .values(next_index=bindparam("advanced"))
)


def decision_outcome(subject_outcomes: Iterable[str]) -> str:
    """A decision's outcome from its subjects' stored outcomes, by the one mapping.

    The stored strings come from leaves this gateway wrote; one outside the wire
    vocabulary means the log and the code disagree, which must not be guessed over.
    """
    outcomes: list[SubjectOutcome] = []
    for o in subject_outcomes:
        if o not in _SUBJECT_OUTCOMES:
            raise ValueError(f"a logged subject outcome outside the vocabulary: {o!r}")
        outcomes.append(cast(SubjectOutcome, o))
    return request_outcome(outcomes)


def _json(values: Iterable[str]) -> str:
    return json.dumps(list(values))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _decision_rows(
    index: int, record: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    request_rules = [str(r) for r in record.get("rules", ())]
    subjects = record.get("subjects", [])
    final = decision_outcome(str(s["outcome"]) for s in subjects)
    rows: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    for position, s in enumerate(subjects):
        subject_rules = [str(r) for r in s.get("rules", ())]
        rows.append(
            {
                "decision_id": record["decision_id"],
                "position": position,
                "log_index": index,
                "kind": "decision",
                "decided_at": _at(record["decided_at"]),
                "agency": record["requester"]["agency"],
                "official": record["requester"].get("official"),
                "legal_basis": record.get("legal_basis"),
                "purpose": record.get("purpose"),
                "policy_revision": record.get("policy_revision"),
                "request_rules": _json(request_rules),
                "decision_outcome": record["outcome"],
                "decision_final_outcome": final,
                "taxpayer": s.get("taxpayer"),
                "subject_outcome": s["outcome"],
                "final_outcome": s["outcome"],
                "subject_rules": _json(subject_rules),
                "released": _json(s.get("released", ())),
                "tax_year": s.get("released_tax_year"),
                "review_action": None,
                "reviewed_at": None,
                "review_officer": None,
                "review_log_index": None,
            }
        )
        rules.extend(
            {"decision_id": record["decision_id"], "position": position, "rule": rule}
            for rule in dict.fromkeys((*request_rules, *subject_rules))
        )
    return rows, rules


def _failure_row(index: int, record: dict[str, Any]) -> dict[str, Any]:
    return {
        "decision_id": record["decision_id"],
        "position": 0,
        "log_index": index,
        "kind": "decision_failure",
        "decided_at": _at(record["at"]),
        "agency": record["requester"]["agency"],
        "official": None,
        "legal_basis": None,
        "purpose": None,
        "policy_revision": None,
        "request_rules": "[]",
        "decision_outcome": "denied",
        "decision_final_outcome": "denied",
        "taxpayer": None,
        "subject_outcome": "denied",
        "final_outcome": "denied",
        "subject_rules": "[]",
        "released": "[]",
        "tax_year": None,
        "review_action": None,
        "reviewed_at": None,
        "review_officer": None,
        "review_log_index": None,
    }


def _apply_review(conn: Connection, index: int, record: dict[str, Any]) -> None:
    t = PROJECTION
    decision_id = record["decision_id"]
    released = [str(f) for f in record.get("released", ())]
    disclosed = record.get("action") == "approve" and bool(released)
    conn.execute(
        update(t)
        .where(t.c.decision_id == decision_id, t.c.position == int(record["subject_position"]))
        .values(
            final_outcome="disclosed" if disclosed else "denied",
            released=_json(released),
            tax_year=record.get("released_tax_year"),
            review_action=record.get("action"),
            reviewed_at=_at(record["at"]),
            review_officer=record.get("officer"),
            review_log_index=index,
        )
    )
    outcomes = conn.execute(
        select(t.c.final_outcome).where(t.c.decision_id == decision_id).order_by(t.c.position)
    ).scalars()
    final = decision_outcome(outcomes)
    conn.execute(
        update(t).where(t.c.decision_id == decision_id).values(decision_final_outcome=final)
    )


def _project(conn: Connection, leaves: Sequence[AppendedLeaf]) -> None:
    """Project ``leaves`` in order; consecutive decision rows go in one multi-row insert."""
    rows: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []

    def flush() -> None:
        if rows:
            conn.execute(_INSERT_ROWS, rows)
            rows.clear()
        if rules:
            conn.execute(_INSERT_RULES, rules)
            rules.clear()

    for leaf in leaves:
        if leaf.kind == "decision":
            more, more_rules = _decision_rows(leaf.index, json.loads(leaf.body))
            rows.extend(more)
            rules.extend(more_rules)
        elif leaf.kind == "decision_failure":
            rows.append(_failure_row(leaf.index, json.loads(leaf.body)))
        elif leaf.kind == "review":
            flush()  # the decision it settles may be in this very batch
            _apply_review(conn, leaf.index, json.loads(leaf.body))
    flush()


def projected_until(conn: Connection) -> int:
    """The index of the first leaf the projection has not seen."""
    value = conn.execute(
        select(PROJECTION_STATE.c.next_index).where(PROJECTION_STATE.c.id == 1)
    ).scalar_one()
    return int(value)


def _set_state(conn: Connection, next_index: int) -> None:
    conn.execute(
        update(PROJECTION_STATE).where(PROJECTION_STATE.c.id == 1).values(next_index=next_index)
    )


def _stored_leaves(conn: Connection, start: int, end: int | None) -> list[AppendedLeaf]:
    t = LOG_ENTRY
    query = select(t.c.idx, t.c.kind, t.c.body, t.c.created_at).where(t.c.idx >= start)
    if end is not None:
        query = query.where(t.c.idx < end)
    rows = conn.execute(query.order_by(t.c.idx).limit(_CHUNK)).all()
    return [AppendedLeaf(int(r[0]), str(r[1]), bytes(r[2]), r[3]) for r in rows]


def _catch_up_to(conn: Connection, end: int | None, progress: Progress | None = None) -> int:
    """Project stored leaves from the state's index up to ``end`` (None: all); returns the count."""
    start = projected_until(conn)
    done = 0
    while end is None or start < end:
        leaves = _stored_leaves(conn, start, end)
        if not leaves:
            break
        _project(conn, leaves)
        start = leaves[-1].index + 1
        _set_state(conn, start)
        done += len(leaves)
        if progress is not None:
            progress(len(leaves))
    return done


def project_leaves(conn: Connection, leaves: Sequence[AppendedLeaf]) -> None:
    """The leaf writer: project one committed-to-be batch, after any leaves the projection lacks."""
    if not leaves:
        return
    first = leaves[0].index
    moved = conn.execute(_ADVANCE, {"expected": first, "advanced": leaves[-1].index + 1})
    if moved.rowcount == 1:  # the projection was exactly up to this batch: now past it
        _project(conn, leaves)
        return
    behind = projected_until(conn)
    if behind < first:
        _catch_up_to(conn, first)
    elif behind > first:
        # Those leaves are already projected (a rebuild ran in between): never twice.
        leaves = [leaf for leaf in leaves if leaf.index >= behind]
    _project(conn, leaves)
    _set_state(conn, max(behind, leaves[-1].index + 1) if leaves else behind)


def catch_up(engine: Engine, progress: Progress | None = None) -> int:
    """Project every stored leaf the projection has not seen, under the log's write lock."""
    with write_transaction(engine) as conn:
        lock_for_append(conn)
        return _catch_up_to(conn, None, progress)


def rebuild(engine: Engine, progress: Progress | None = None) -> int:
    """Empty the projection and project the whole log again; returns the leaves read.

    Holds the log's write lock throughout, so no append interleaves: what it
    builds is what the live writer would have built for the same leaves.
    """
    with write_transaction(engine) as conn:
        lock_for_append(conn)
        conn.execute(delete(PROJECTION_RULE))
        conn.execute(delete(PROJECTION))
        _set_state(conn, 0)
        return _catch_up_to(conn, None, progress)


def log_size(conn: Connection) -> int:
    top = conn.execute(select(func.max(LOG_ENTRY.c.idx))).scalar_one()
    return 0 if top is None else int(top) + 1
