"""One answer, one transaction: the log never vouches for an answer or a settlement not stored.

The database itself refuses the write that follows a decision (a trigger on the
stored answers, on SQLite and PostgreSQL), as a full disk, a revoked grant or a
constraint would; the agency must get a 503 and the log must not hold the leaf.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from gateway.audit.log import APPEND_LOCK_KEY
from gateway.audit.record import failure_record
from gateway.audit.verify import verify_database
from gateway.errors import ConflictError
from gateway.services import Services
from gateway.store.db import write_transaction
from gateway.store.models import LOOKUP, REVIEW_ITEM
from tests import scenarios as sc
from tests.support import Tokens


def _services(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def _refuse(engine: Engine, event: str) -> None:
    """Make the database refuse every ``event`` (INSERT or UPDATE) on the stored answers."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_answers BEFORE {event} ON lookup"
                " BEGIN SELECT RAISE(ABORT, 'answers refused'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_answers() RETURNS trigger LANGUAGE plpgsql"
                " AS $$ BEGIN RAISE EXCEPTION 'answers refused'; END $$"
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_answers BEFORE {event} ON lookup"
                " FOR EACH ROW EXECUTE FUNCTION refuse_answers()"
            )


def _allow(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "DROP TRIGGER refuse_answers" + ("" if _sqlite(conn) else " ON lookup")
        )
        if not _sqlite(conn):
            conn.exec_driver_sql("DROP FUNCTION refuse_answers()")


def _sqlite(conn: Any) -> bool:
    return bool(conn.dialect.name == "sqlite")


def _verify(services: Services) -> None:
    services.checkpointer.publish(services.clock.now())
    checkpointer = services.checkpointer
    result = verify_database(
        services.decision_log, checkpointer.all(), [checkpointer.signer.verifier]
    )
    assert result.size == services.decision_log.size()


def _kinds_after(services: Services, start: int) -> list[dict[str, Any]]:
    log = services.decision_log
    return [json.loads(e.body) for e in log.entries(start, log.size())]


def test_an_answer_that_cannot_be_stored_is_a_503_and_the_log_claims_no_decision(
    client: TestClient, tokens: Tokens
) -> None:
    services = _services(client)
    before = services.decision_log.size()
    _refuse(services.engine, "INSERT")
    body = sc.fbi_i2()  # an allowed request: the stored answer would hold an address
    resp = client.post(
        "/v1/address-lookups", json=body, headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    )
    assert resp.status_code == 503
    assert resp.headers["content-type"] == "application/problem+json"
    assert "Elm St" not in resp.text
    records = _kinds_after(services, before)
    assert [r["kind"] for r in records] == ["decision_failure"]
    assert (records[0]["stage"], records[0]["outcome"]) == ("record", "denied")
    with services.engine.connect() as conn:
        assert conn.execute(select(LOOKUP.c.decision_id)).all() == []
    _verify(services)
    # Once the answer can be stored again, the same request is answered and stored.
    _allow(services.engine)
    again = client.post(
        "/v1/address-lookups", json=body, headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR")
    )
    assert again.status_code == 200, again.text
    stored = client.get(
        f"/v1/address-lookups/{again.json()['decision_id']}",
        headers=tokens.agency("DOJ-FBI", "FBI_DIRECTOR"),
    ).json()
    assert stored["log_index"] == again.json()["log_index"]
    _verify(services)


def _pending(client: TestClient, tokens: Tokens) -> str:
    answer = client.post(
        "/v1/address-lookups",
        json=sc.fbi_i2(),
        headers=tokens.agency_official("DOJ-FBI", "fbi-acting-director"),
    ).json()
    assert answer["outcome"] == "pending_review"
    decision_id: str = answer["decision_id"]
    return decision_id


def _review_status(engine: Engine, decision_id: str) -> list[tuple[str, int | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(REVIEW_ITEM.c.status, REVIEW_ITEM.c.log_index).where(
                REVIEW_ITEM.c.decision_id == decision_id
            )
        ).all()
    return [(r[0], r[1]) for r in rows]


def test_a_settlement_that_cannot_be_stored_is_a_503_and_the_log_claims_no_review(
    client: TestClient, tokens: Tokens
) -> None:
    services = _services(client)
    did = _pending(client, tokens)
    before = services.decision_log.size()
    _refuse(services.engine, "UPDATE")
    approve = {"action": "approve", "note": "Acting designation verified."}
    resp = client.post(
        f"/v1/reviews/{did}/TP-1", headers=tokens.staff("disclosure_officer"), json=approve
    )
    assert resp.status_code == 503
    assert resp.headers["content-type"] == "application/problem+json"
    assert services.decision_log.size() == before
    assert _review_status(services.engine, did) == [("pending", None)]
    _verify(services)
    _allow(services.engine)
    resp = client.post(
        f"/v1/reviews/{did}/TP-1", headers=tokens.staff("disclosure_officer"), json=approve
    )
    assert resp.status_code == 200
    assert _review_status(services.engine, did) == [("approved", resp.json()["log_index"])]


def test_two_officers_settling_one_subject_in_one_commit_leave_one_review_leaf(
    client: TestClient, tokens: Tokens
) -> None:
    services = _services(client)
    did = _pending(client, tokens)
    log = services.decision_log
    before, commits = log.size(), log.commits
    release, holding = threading.Event(), threading.Event()

    def hold_the_log() -> None:
        # Both officers get past the pending check, then queue for the same commit.
        with write_transaction(services.engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY})")
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_log)
    holder.start()
    holding.wait(30)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            now = services.clock.now()
            unrelated = failure_record(
                decision_id="other", at=now, agency_id="DOJ-FBI", stage="decide", error="x"
            )
            leader = pool.submit(log.append, "decision_failure", unrelated, at=now)
            _wait_until(lambda: log.committing)
            acts = [
                pool.submit(services.reviews.act, did, "TP-1", "approve", "ok", "officer-a"),
                pool.submit(services.reviews.act, did, "TP-1", "deny", "no", "officer-b"),
            ]
            _wait_until(lambda: log.queued == 2)
            release.set()
            leader.result(timeout=60)
            outcomes: list[object] = []
            for f in acts:
                try:
                    outcomes.append(f.result(timeout=60).log_index)
                except ConflictError as exc:
                    outcomes.append(exc)
    finally:
        release.set()
        holder.join()
    settled = [o for o in outcomes if isinstance(o, int)]
    assert len(settled) == 1
    assert sum(isinstance(o, ConflictError) for o in outcomes) == 1
    records = _kinds_after(services, before)
    assert [r["kind"] for r in records] == ["decision_failure", "review"]
    assert log.commits - commits == 2  # the leader's, then both officers' in one
    status = "approved" if isinstance(outcomes[0], int) else "denied"
    assert _review_status(services.engine, did) == [(status, settled[0])]
    _verify(services)


def _wait_until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not check() and time.monotonic() < deadline:
        time.sleep(0.01)
