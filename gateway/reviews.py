"""The human review queue: disclosure officers settle subjects the policy could not.

An approval releases at most what the policy allowed at decision time — the
mailing address of the tax year the decision named — and nothing if the
datastore held no unique record. Each action is first appended to the
decision log (log before disclose), then the queue row and the agency's
stored answer are updated in one transaction, so that
``GET /v1/address-lookups/{decision_id}`` shows the final outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.audit.log import DecisionLog
from gateway.audit.record import review_record
from gateway.audit.sealing import AuditKeys
from gateway.clock import Clock
from gateway.domain import LookupResponse, Reason, ReleasedAddress, SubjectResult
from gateway.errors import ConflictError, NotFoundError
from gateway.pep import UNIFORM_DENIAL, request_outcome
from gateway.store.db import write_transaction
from gateway.store.lookups import LookupStore
from gateway.store.reviews import ReviewRow, for_decision, list_reviews, settle
from gateway.store.taxpayers import mailing_address

Action = Literal["approve", "deny"]

APPROVED = Reason(
    rule="REVIEW-APPROVED",
    citation="26 U.S.C. 6103(p)(3)(A); disclosure officer review",
    message="Approved by a disclosure officer after review.",
)


@dataclass(frozen=True)
class Settled:
    item: ReviewRow
    log_index: int


class ReviewService:
    def __init__(
        self,
        *,
        engine: Engine,
        decision_log: DecisionLog,
        lookups: LookupStore,
        audit_keys: AuditKeys,
        clock: Clock,
    ) -> None:
        self._engine = engine
        self._log = decision_log
        self._lookups = lookups
        self._keys = audit_keys
        self._clock = clock

    def queue(self, status: str | None, limit: int = 200) -> list[ReviewRow]:
        return list_reviews(self._engine, status, limit)

    def _item(self, decision_id: str, ref: str) -> ReviewRow:
        with self._engine.connect() as conn:
            items = [i for i in for_decision(conn, decision_id) if i.ref == ref]
        if not items:
            raise NotFoundError("no review item for this decision and ref")
        pending = [i for i in items if i.status == "pending"]
        if not pending:
            raise ConflictError("this subject has already been reviewed")
        return pending[0]

    def act(self, decision_id: str, ref: str, action: Action, note: str, officer: str) -> Settled:
        # 1. the pending item, and what an approval may release
        item = self._item(decision_id, ref)
        address = None
        if action == "approve":
            if item.taxpayer_id is None or item.release_tax_year is None:
                raise ConflictError(
                    "approval would release nothing: identity was not established; deny instead"
                )
            with Session(self._engine) as session:
                address = mailing_address(session, item.taxpayer_id, item.release_tax_year)
            if address is None:
                raise ConflictError("no mailing address on file for the allowed tax year")
        now = self._clock.now()
        # 2. log before disclose
        index = self._log.append(
            "review",
            review_record(
                keys=self._keys,
                decision_id=decision_id,
                position=item.position,
                agency_id=item.agency_id,
                ref=item.ref,
                action=action,
                officer=officer,
                at=now,
                note=note,
                released_tax_year=address.tax_year if address else None,
            ),
            at=now,
        )
        # 3. the agency's answer, then the queue row, together
        stored = self._lookups.get(decision_id)
        if stored is None:  # pragma: no cover - queued items always have a stored answer
            raise NotFoundError("no stored answer for this decision")
        answer = LookupResponse.model_validate_json(stored.response_json)
        results = list(answer.results)
        old = results[item.position]
        if address is not None:
            results[item.position] = SubjectResult(
                ref=old.ref,
                outcome="disclosed",
                address=ReleasedAddress(
                    line1=address.line1,
                    line2=address.line2,
                    city=address.city,
                    state=address.state,
                    zip=address.zip,
                    tax_year=address.tax_year,
                ),
                redacted=[f for f in old.redacted if f != "last_known_address"],
                reasons=[*old.reasons, APPROVED],
            )
        else:
            results[item.position] = SubjectResult(
                ref=old.ref,
                outcome="denied",
                address=None,
                redacted=old.redacted,
                reasons=[UNIFORM_DENIAL],
            )
        outcome = request_outcome(results)
        updated = answer.model_copy(update={"results": results, "outcome": outcome})
        with write_transaction(self._engine) as conn:
            ok = settle(
                conn,
                item,
                status="approved" if action == "approve" else "denied",
                officer=officer,
                at=now,
                log_index=index,
                response_json=updated.model_dump_json(),
                lookup_status=outcome,
            )
        if not ok:
            raise ConflictError("this subject was reviewed concurrently")
        return Settled(item=item, log_index=index)
