"""The human review queue: disclosure officers settle subjects the policy could not.

The plan of :meth:`ReviewService.act`, one method a step:

1. the pending item (``_pending_item``) — 404 if there is none, 409 if it was settled;
2. what the action releases (``_release``) — through :func:`gateway.redaction.redact`,
   the one release path: an approval releases at most what the policy allowed at
   decision time (the mailing address of the tax year the decision named, if the
   agency asked for it), and a denial nothing. An approval that would release nothing
   (no unique record, no address for that year) is refused (409: deny instead);
3. log and settle, one transaction (``_log_and_settle``) — the review leaf, the queue
   row and the agency's stored answer (the subject's new result, the request's new
   outcome, so that ``GET /v1/address-lookups/{decision_id}`` shows it) commit
   together, as the leaf's companion (:meth:`gateway.audit.log.DecisionLog.append`).
   If another officer settled the subject first, the companion refuses and no leaf
   claims a settlement that did not happen (409).

The texts an officer's action adds — the approval reason and the uniform denial —
and the court notice shown in the queue are the active policy's
(:mod:`gateway.pdp.texts`), never written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from gateway.audit.log import DecisionLog
from gateway.audit.record import review_record
from gateway.audit.sealing import AuditKeys
from gateway.clock import Clock
from gateway.domain import LookupResponse, Reason, SubjectResult
from gateway.errors import ConflictError, NotFoundError
from gateway.outcomes import request_outcome
from gateway.pdp.active import ActivePolicy
from gateway.pdp.decision import Finding, SubjectDecision
from gateway.pdp.texts import COURT_NOTICE, GatewayTexts
from gateway.redaction import RedactedResult, redact
from gateway.store.lookups import LookupStore, read_answer, update_answer
from gateway.store.reviews import ReviewRow, for_decision, list_reviews, settle
from gateway.store.taxpayers import MailingAddress, mailing_address

Action = Literal["approve", "deny"]


@dataclass(frozen=True)
class Settled:
    item: ReviewRow
    log_index: int


def _reason(f: Finding) -> Reason:
    return Reason(rule=f.rule, citation=f.citation, message=f.message)


class ReviewService:
    def __init__(
        self,
        *,
        engine: Engine,
        active: ActivePolicy,
        decision_log: DecisionLog,
        lookups: LookupStore,
        audit_keys: AuditKeys,
        clock: Clock,
    ) -> None:
        self._engine = engine
        self._active = active
        self._log = decision_log
        self._lookups = lookups
        self._keys = audit_keys
        self._clock = clock

    def queue(self, status: str | None, limit: int = 200) -> list[ReviewRow]:
        return list_reviews(self._engine, status, limit)

    def court_notices(self, item: ReviewRow) -> list[str]:
        """What the officer must do before releasing ``item``, in the active policy's words."""
        if COURT_NOTICE not in item.obligations:
            return []
        return [self._active.current().texts.court_notice]

    def act(self, decision_id: str, ref: str, action: Action, note: str, officer: str) -> Settled:
        """The plan of the module docstring, step by step."""
        texts = self._active.current().texts
        item = self._pending_item(decision_id, ref)
        released = self._release(item, action)
        return self._log_and_settle(item, action, released, note, officer, texts)

    # -- 1. the pending item ---------------------------------------------------------------

    def _pending_item(self, decision_id: str, ref: str) -> ReviewRow:
        with self._engine.connect() as conn:
            items = [i for i in for_decision(conn, decision_id) if i.ref == ref]
        if not items:
            raise NotFoundError("no review item for this decision and ref")
        pending = [i for i in items if i.status == "pending"]
        if not pending:
            raise ConflictError("this subject has already been reviewed")
        return pending[0]

    # -- 2. what the action releases -------------------------------------------------------

    def _release(self, item: ReviewRow, action: Action) -> RedactedResult:
        stored = self._lookups.get(item.decision_id)
        if stored is None:
            raise NotFoundError("no stored answer for this decision")
        before = LookupResponse.model_validate_json(stored.response_json).results[item.position]
        # The officer's action is the subject's decision now; the tax year stays the one
        # the policy named. A subject in review withholds every field the agency asked
        # for, so its withheld list is what was asked.
        decision = SubjectDecision(
            ref=item.ref,
            outcome="ALLOW" if action == "approve" else "DENY",
            release_tax_year=item.release_tax_year,
            redacted=[],
            findings=[],
            reasons=[],
        )
        address = self._address(item) if action == "approve" else None
        released = redact(decision, address, before.redacted, request_outcome=decision.outcome)
        if action == "approve" and released.address is None:
            raise ConflictError(
                "approval would release nothing: no unique record, no address on file for"
                " the allowed tax year, or no address asked for; deny instead"
            )
        return released

    def _address(self, item: ReviewRow) -> MailingAddress | None:
        if item.taxpayer_id is None or item.release_tax_year is None:
            return None
        with Session(self._engine) as session:
            return mailing_address(session, item.taxpayer_id, item.release_tax_year)

    # -- 3. log and settle, one transaction ------------------------------------------------

    def _log_and_settle(
        self,
        item: ReviewRow,
        action: Action,
        released: RedactedResult,
        note: str,
        officer: str,
        texts: GatewayTexts,
    ) -> Settled:
        now = self._clock.now()
        record = review_record(
            keys=self._keys,
            decision_id=item.decision_id,
            position=item.position,
            agency_id=item.agency_id,
            ref=item.ref,
            action=action,
            officer=officer,
            at=now,
            note=note,
            released_tax_year=released.address.tax_year if released.address else None,
        )

        def settle_answer(conn: Connection, log_index: int) -> None:
            status = "approved" if action == "approve" else "denied"
            if not settle(conn, item, status=status, officer=officer, at=now, log_index=log_index):
                raise ConflictError("this subject was reviewed concurrently")
            stored = read_answer(conn, item.decision_id)
            if stored is None:
                raise NotFoundError("no stored answer for this decision")
            answer = LookupResponse.model_validate_json(stored.response_json)
            results = list(answer.results)
            before = results[item.position]
            reasons = (
                [*before.reasons, _reason(texts.review_approved)]
                if released.outcome == "disclosed"
                else [_reason(texts.uniform_denial)]
            )
            results[item.position] = SubjectResult(
                ref=before.ref,
                outcome=released.outcome,
                address=released.address,
                redacted=released.redacted,
                reasons=reasons,
            )
            outcome = request_outcome(r.outcome for r in results)
            updated = answer.model_copy(update={"results": results, "outcome": outcome})
            update_answer(
                conn, item.decision_id, response_json=updated.model_dump_json(), status=outcome
            )

        index = self._log.append("review", record, at=now, companion=settle_answer)
        return Settled(item=item, log_index=index)
